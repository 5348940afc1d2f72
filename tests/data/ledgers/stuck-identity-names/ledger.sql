BEGIN TRANSACTION;
CREATE TABLE entries (
    key TEXT PRIMARY KEY,
    uuid TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    fields TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    quarantined_at TEXT
);
INSERT INTO "entries" VALUES('identity:ops (password) #1','f2a4a492-8567-4a9e-850f-0ddf6169b0e6','ops (password) #1','localIdentity','identity','Local','{"password": "77f1d3b629f9492ef90b5c0cb4a3c771", "sshIdentity": "addb2525fa7913af06e82943dee2ce91", "username": "e54eb3bffd7c706a0072b70f45167235"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('identity:ops (password) #2','27e9300f-2386-441b-b12c-8da101212ec1','ops (password) #2','localIdentity','identity','Local','{"password": "4e0b80e7580bda90dafcaeb757aa7ea4", "sshIdentity": "addb2525fa7913af06e82943dee2ce91", "username": "e54eb3bffd7c706a0072b70f45167235"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('identity:OPS (password)','357c650f-fef7-4387-9d00-0013ff82a711','OPS (password)','localIdentity','identity','Local','{"password": "84008b03664c66c5a23c41c89e96f14b", "sshIdentity": "addb2525fa7913af06e82943dee2ce91", "username": "e066c18bdfe11d4170981306339718dc"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('csv:servers.csv#web1','41636094-78b0-4f58-8bcd-258aef4cfcc0','web1','ssh','host','Imported/Web','{"additionalOptions": "c2f5b7f609055666fe4d8da48c788476", "gateway": "fa392b84c3b2db9943f4b728b4267cc4", "host": "bffeb840fe3570f90756bd644cd78f17", "identity.ref": "2b52f8875849048bbf8db52c83436f6d", "identity.type": "82fbb180cd93d43861a667764625a53e", "jumpServer": "ab3a80add235dac5810ac638ce149d4d", "port": "68d9add4ec220e75bd3b8f081a6768fd"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('csv:servers.csv#web2','d8d58ea3-c140-42cb-81b6-7671b012679e','web2','ssh','host','Imported/Web','{"additionalOptions": "c2f5b7f609055666fe4d8da48c788476", "gateway": "fa392b84c3b2db9943f4b728b4267cc4", "host": "5dd012b1c931248d5854e2a05420c926", "identity.ref": "2b52f8875849048bbf8db52c83436f6d", "identity.type": "82fbb180cd93d43861a667764625a53e", "jumpServer": "ab3a80add235dac5810ac638ce149d4d", "port": "68d9add4ec220e75bd3b8f081a6768fd"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('csv:servers.csv#app1','f7a5aca3-4932-4dde-89d9-8dbe33ac95ff','app1','ssh','host','Imported/App','{"additionalOptions": "c2f5b7f609055666fe4d8da48c788476", "gateway": "fa392b84c3b2db9943f4b728b4267cc4", "host": "b6e0004bd1ffc6508071e675928928ed", "identity.ref": "6dcd4e0d0b93fec32793da90de7f4eef", "identity.type": "82fbb180cd93d43861a667764625a53e", "jumpServer": "ab3a80add235dac5810ac638ce149d4d", "port": "68d9add4ec220e75bd3b8f081a6768fd"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('csv:servers.csv#app2','d796bbcb-0338-4cba-a52e-cfbb8ea455c3','app2','ssh','host','Imported/App','{"additionalOptions": "c2f5b7f609055666fe4d8da48c788476", "gateway": "fa392b84c3b2db9943f4b728b4267cc4", "host": "a11c85c7e0018bb1109820bc31a3d237", "identity.ref": "6dcd4e0d0b93fec32793da90de7f4eef", "identity.type": "82fbb180cd93d43861a667764625a53e", "jumpServer": "ab3a80add235dac5810ac638ce149d4d", "port": "68d9add4ec220e75bd3b8f081a6768fd"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('csv:servers.csv#db1','618ae5ea-b3fd-4d4a-b048-ccf881b2fe64','db1','ssh','host','Imported/Db','{"additionalOptions": "c2f5b7f609055666fe4d8da48c788476", "gateway": "fa392b84c3b2db9943f4b728b4267cc4", "host": "c5c27ba729d7def3ce59410174b4b965", "identity.ref": "3e5af5f9bc87f184d36531f5610627a7", "identity.type": "82fbb180cd93d43861a667764625a53e", "jumpServer": "ab3a80add235dac5810ac638ce149d4d", "port": "68d9add4ec220e75bd3b8f081a6768fd"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('csv:servers.csv#db2','28648c0e-ddd7-49ba-b02e-e4e6e4769ece','db2','ssh','host','Imported/Db','{"additionalOptions": "c2f5b7f609055666fe4d8da48c788476", "gateway": "fa392b84c3b2db9943f4b728b4267cc4", "host": "d256757ad751435de9e41958c2c59ac4", "identity.ref": "3e5af5f9bc87f184d36531f5610627a7", "identity.type": "82fbb180cd93d43861a667764625a53e", "jumpServer": "ab3a80add235dac5810ac638ce149d4d", "port": "68d9add4ec220e75bd3b8f081a6768fd"}','2026-12-07T09:57:28+00:00',NULL);
INSERT INTO "entries" VALUES('csv:servers.csv#solo','0df4cd63-1847-4a53-ad7b-5421a2cd2fb0','solo','ssh','host','Imported','{"additionalOptions": "c2f5b7f609055666fe4d8da48c788476", "gateway": "fa392b84c3b2db9943f4b728b4267cc4", "host": "d1c319e3143236a7305335c0bee7ab42", "identity.identityStore.password": "1ea7fffa095be1eabbbea297e9f72dbd", "identity.identityStore.sshIdentity": "addb2525fa7913af06e82943dee2ce91", "identity.identityStore.type": "1815a0375cd613df80938f6842f610b2", "identity.identityStore.username": "e54eb3bffd7c706a0072b70f45167235", "identity.type": "785c1c2e84f45c54046124fd4705bc28", "jumpServer": "ab3a80add235dac5810ac638ce149d4d", "port": "68d9add4ec220e75bd3b8f081a6768fd"}','2026-12-07T09:57:28+00:00',NULL);
CREATE TABLE journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    uuid TEXT,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    category TEXT,
    sent TEXT,
    effect TEXT
);
INSERT INTO "journal" VALUES(1,'0304c912a01f415c999604793201353c','category:All connections/Imported','category/add','Imported','category','ca718067-7999-439f-85ec-7c8f719031ad','done','2026-12-07T09:57:28+00:00','["all connections", "imported"]',NULL,NULL);
INSERT INTO "journal" VALUES(2,'0304c912a01f415c999604793201353c','category:All connections/Imported/Web','category/add','Web','category','85a54853-184f-4c4e-ac30-863e54e0ca94','done','2026-12-07T09:57:28+00:00','["all connections", "imported", "web"]',NULL,NULL);
INSERT INTO "journal" VALUES(3,'0304c912a01f415c999604793201353c','category:All connections/Imported/App','category/add','App','category','56f8bfb0-b552-448d-b8fb-20cb2a38b261','done','2026-12-07T09:57:28+00:00','["all connections", "imported", "app"]',NULL,NULL);
INSERT INTO "journal" VALUES(4,'0304c912a01f415c999604793201353c','category:All connections/Imported/Db','category/add','Db','category','bfd16437-b51d-40fb-8e37-d253d0dc34e8','done','2026-12-07T09:57:28+00:00','["all connections", "imported", "db"]',NULL,NULL);
INSERT INTO "journal" VALUES(5,'0304c912a01f415c999604793201353c','identity:ops (password) #1','add','ops (password) #1','localIdentity','f2a4a492-8567-4a9e-850f-0ddf6169b0e6','done','2026-12-07T09:57:28+00:00','["local"]',NULL,NULL);
INSERT INTO "journal" VALUES(6,'0304c912a01f415c999604793201353c','identity:ops (password) #2','add','ops (password) #2','localIdentity','27e9300f-2386-441b-b12c-8da101212ec1','done','2026-12-07T09:57:28+00:00','["local"]',NULL,NULL);
INSERT INTO "journal" VALUES(7,'0304c912a01f415c999604793201353c','identity:OPS (password)','add','OPS (password)','localIdentity','357c650f-fef7-4387-9d00-0013ff82a711','done','2026-12-07T09:57:28+00:00','["local"]',NULL,NULL);
INSERT INTO "journal" VALUES(8,'0304c912a01f415c999604793201353c','csv:servers.csv#web1','add','web1','ssh','41636094-78b0-4f58-8bcd-258aef4cfcc0','done','2026-12-07T09:57:28+00:00','["imported", "web"]',NULL,NULL);
INSERT INTO "journal" VALUES(9,'0304c912a01f415c999604793201353c','csv:servers.csv#web2','add','web2','ssh','d8d58ea3-c140-42cb-81b6-7671b012679e','done','2026-12-07T09:57:28+00:00','["imported", "web"]',NULL,NULL);
INSERT INTO "journal" VALUES(10,'0304c912a01f415c999604793201353c','csv:servers.csv#app1','add','app1','ssh','f7a5aca3-4932-4dde-89d9-8dbe33ac95ff','done','2026-12-07T09:57:28+00:00','["imported", "app"]',NULL,NULL);
INSERT INTO "journal" VALUES(11,'0304c912a01f415c999604793201353c','csv:servers.csv#app2','add','app2','ssh','d796bbcb-0338-4cba-a52e-cfbb8ea455c3','done','2026-12-07T09:57:28+00:00','["imported", "app"]',NULL,NULL);
INSERT INTO "journal" VALUES(12,'0304c912a01f415c999604793201353c','csv:servers.csv#db1','add','db1','ssh','618ae5ea-b3fd-4d4a-b048-ccf881b2fe64','done','2026-12-07T09:57:28+00:00','["imported", "db"]',NULL,NULL);
INSERT INTO "journal" VALUES(13,'0304c912a01f415c999604793201353c','csv:servers.csv#db2','add','db2','ssh','28648c0e-ddd7-49ba-b02e-e4e6e4769ece','done','2026-12-07T09:57:28+00:00','["imported", "db"]',NULL,NULL);
INSERT INTO "journal" VALUES(14,'0304c912a01f415c999604793201353c','csv:servers.csv#solo','add','solo','ssh','0df4cd63-1847-4a53-ad7b-5421a2cd2fb0','done','2026-12-07T09:57:28+00:00','["imported"]',NULL,NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('schema_version','3');
INSERT INTO "meta" VALUES('digest_key','456781ac32547729303111c19c80baef9296acc27522e31855a94c17f175e48d');
CREATE TABLE runs (
    id TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL, summary TEXT
);
INSERT INTO "runs" VALUES('0304c912a01f415c999604793201353c','2026-12-07T09:57:28+00:00','2026-12-07T09:57:28+00:00','ok','{"created": 14, "deleted": 0, "failed": 0, "quarantined": 0, "recreated": 0, "skipped": 0, "unchanged": 0, "updated": 0}');
INSERT INTO "runs" VALUES('d85a80e3b59d4c16ad1c7944e47207a5','2026-12-07T09:57:56+00:00','2026-12-07T09:57:56+00:00','partial','{"created": 0, "deleted": 0, "failed": 4, "quarantined": 0, "recreated": 0, "skipped": 2, "unchanged": 8, "updated": 0}');
INSERT INTO "runs" VALUES('0ea0ed1831934a23942d651bfc28e9aa','2026-12-07T09:57:57+00:00','2026-12-07T09:57:57+00:00','partial','{"created": 0, "deleted": 0, "failed": 4, "quarantined": 0, "recreated": 0, "skipped": 2, "unchanged": 8, "updated": 0}');
CREATE UNIQUE INDEX entries_uuid ON entries (uuid);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('journal',14);
COMMIT;
