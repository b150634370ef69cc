/* The database (models/db.c) and its read replicas (models/replicas.c):
 * versions start at 0, commits count up per key, write-behind applies move
 * only forward, and a replica that applied v holds v until a later apply. */
#include <stdint.h>

#include "models/db.h"
#include "models/replicas.h"
#include "tests/testing.h"

static void test_db(void) {
    db *d = db_create(3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    EXPECT(db_read(d, 0) == 0 && db_read(d, 2) == 0, "initial versions");
    EXPECT(db_commit(d, 1) == 1 && db_commit(d, 1) == 2, "commits of key 1");
    EXPECT(db_read(d, 1) == 2 && db_read(d, 0) == 0, "reads after commits");
    EXPECT(db_apply(d, 2, 5) == 1 && db_read(d, 2) == 5, "apply forward");
    EXPECT(db_apply(d, 2, 4) == 0 && db_read(d, 2) == 5, "apply backward "
           "moved the DB to %u", db_read(d, 2));
    EXPECT(db_apply(d, 2, 5) == 0, "apply of the held version moved it");
    EXPECT(db_commit(d, 2) == 6, "commit after apply");
    db_destroy(d);
    db_destroy(NULL);
}

static void test_replicas(void) {
    replicas *r = replicas_create(2, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    EXPECT(replicas_count(r) == 2, "count %u", replicas_count(r));
    EXPECT(replicas_read(r, 0, 3) == 0 && replicas_read(r, 1, 3) == 0,
           "initial versions");
    EXPECT(replicas_apply(r, 0, 3, 2) == 1, "apply v2 on replica 0");
    EXPECT(replicas_read(r, 0, 3) == 2 && replicas_read(r, 1, 3) == 0,
           "replicas are independent: %u %u", replicas_read(r, 0, 3),
           replicas_read(r, 1, 3));
    /* An apply arriving after a later one changes nothing (in-order log). */
    EXPECT(replicas_apply(r, 0, 3, 1) == 0 && replicas_read(r, 0, 3) == 2,
           "late apply moved replica 0 back to %u", replicas_read(r, 0, 3));
    EXPECT(replicas_apply(r, 1, 3, 1) == 1 && replicas_read(r, 1, 3) == 1,
           "replica 1");
    replicas_destroy(r);
    replicas_destroy(NULL);
}

static CU_TestInfo tests[] = {
    {"versions, commits, write-behind applies", test_db},
    {"replicas apply in order", test_replicas},
    CU_TEST_INFO_NULL,
};

TESTS_REGISTER("db", NULL, NULL, tests)
