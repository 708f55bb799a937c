-- Secret groups made before secret slugs (src/domain/slugs.ts) may hold a plain or numbered slug, which would
-- number the next visible group of that name and so tell its creator the secret group exists. Each takes a
-- secret slug: its own, a double hyphen, then a random suffix that starts with a letter. Only members can
-- reach a secret group, so no outsider's link breaks (as when a group is made SECRET).
UPDATE "Group"
SET "slug" = "slug" || '--' || char(97 + abs(random()) % 26) || substr(lower(hex(randomblob(4))), 1, 5)
WHERE "privacy" = 'SECRET' AND instr("slug", '--') = 0;
