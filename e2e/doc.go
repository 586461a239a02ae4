// Package e2e holds end-to-end tests: they build the real gatehouse binary,
// start it on SQLite and on PostgreSQL (GATEHOUSE_TEST_POSTGRES), and drive
// it over HTTP the way an integrator's code would.
package e2e
