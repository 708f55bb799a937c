-- Secret groups made before secret slugs (src/domain/slugs.ts) may hold a plain or numbered slug, which would
-- number the next visible group of that name and so tell its creator the secret group exists. Each takes a
-- secret slug: its own, a double hyphen, then a random suffix that starts with a letter. Only members can
-- reach a secret group, so no outsider's link breaks (as when a group is made SECRET).
UPDATE "Group"
SET "slug" = "slug" || '--' || chr(97 + floor(random() * 26)::int) || substr(md5(random()::text || "id"), 1, 5)
WHERE "privacy" = 'SECRET' AND strpos("slug", '--') = 0;
