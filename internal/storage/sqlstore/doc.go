// Package sqlstore implements storage.Store on SQLite (modernc.org/sqlite,
// pure Go) and PostgreSQL (pgx through database/sql).
//
// One implementation serves both: queries are written once with '?'
// placeholders and rebound for PostgreSQL; the few dialect differences
// (booleans, row locks, constraint errors) live in dialect.go. Times are
// stored as Unix milliseconds in both.
//
// SQLite runs in WAL mode with two pools: one writer connection (SQLite
// allows one writer; transactions begin IMMEDIATE so they never deadlock on
// lock upgrade) and several reader connections. PostgreSQL uses one pool.
//
// Migrations are embedded, one set per dialect (migrations/<dialect>), and
// applied under a lock so that several nodes may start at once.
package sqlstore
