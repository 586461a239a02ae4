package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// runExplain times the user list in-process, through the storage layer,
// splits it into its statements and prints each statement's plan: where
// the list's time goes, without HTTP in the way.
func runExplain(args []string) error {
	fs := flag.NewFlagSet("ghbench explain", flag.ContinueOnError)
	var c common
	var updatedAfter, zone string
	var runs int
	var plans, alternatives bool
	fs.StringVar(&updatedAfter, "updated-after", "2024-12-10 00:00:00", "updated_at_greater of the updated scenario")
	fs.StringVar(&zone, "timezone", "+08:00", "zone updated-after is read in (the server's --timezone)")
	fs.IntVar(&runs, "runs", 7, "timed runs per statement (the median is printed)")
	fs.BoolVar(&plans, "plans", true, "print query plans (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL)")
	fs.BoolVar(&alternatives, "alternatives", true, "also time the rewrites bench/README.md proposes (org lists without the users join, keyset seeks)")
	if err := parseFlags(fs, &c, args); err != nil {
		return err
	}
	loc, err := config.ParseZone(zone)
	if err != nil {
		return err
	}
	after, err := time.ParseInLocation("2006-01-02 15:04:05", updatedAfter, loc)
	if err != nil {
		return fmt.Errorf("--updated-after: %w", err)
	}
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, c.db, sqlstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Println(machine(st.Dialect()))
	dept, err := st.Orgs().GetByCode(ctx, storage.DefaultTenantID, deptCode(0))
	if err != nil {
		return fmt.Errorf("seeded department %s: %w (run ghbench seed first)", deptCode(0), err)
	}
	proj, err := st.Orgs().GetByCode(ctx, storage.DefaultTenantID, projectCode(0))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	cases := []struct {
		name string
		f    storage.UserFilter
	}{
		{"org (department)", storage.UserFilter{OrgID: dept.ID}},
		{"org-large (project)", storage.UserFilter{}},
		{"updated", storage.UserFilter{UpdatedAfter: after}},
		{"all-first", storage.UserFilter{}},
		{"all-mid", storage.UserFilter{}},
	}
	if proj != nil {
		cases[1].f.OrgID = proj.ID
	} else {
		cases = slices.Delete(cases, 1, 2)
	}
	read, _ := st.DBs()
	for _, cs := range cases {
		f := cs.f
		f.Limit = 10
		_, total, err := st.Users().List(ctx, storage.DefaultTenantID, f)
		if err != nil {
			return err
		}
		if cs.name != "all-first" {
			f.Offset = total / 10 / 2 * 10
		}
		q := listSQL(st.Dialect(), f)
		fmt.Printf("\n## %s: total %d, offset %d rows (page %d), limit %d\n", cs.name, total, f.Offset, f.Offset/10, f.Limit)
		list := timeIt(runs, func() error {
			_, _, err := st.Users().List(ctx, storage.DefaultTenantID, f)
			return err
		})
		count := timeIt(runs, func() error { return drain(ctx, read, q.count, q.args) })
		inner := timeIt(runs, func() error { return drain(ctx, read, q.inner, q.pageArgs) })
		page := timeIt(runs, func() error { return drain(ctx, read, q.page, append([]any{storage.DefaultTenantID}, q.pageArgs...)) })
		for _, t := range []struct {
			what string
			r    timing
		}{{"Users().List (all statements)", list}, {"count(*) of the total", count}, {"page ids (ORDER BY, LIMIT, OFFSET)", inner}, {"page rows (users WHERE id IN page ids)", page}} {
			if t.r.err != nil {
				return fmt.Errorf("%s: %s: %w", cs.name, t.what, t.r.err)
			}
			fmt.Printf("  %-42s median %8s ms   min %8s ms\n", t.what, msec(t.r.median), msec(t.r.min))
		}
		if alternatives {
			if err := timeAlternatives(ctx, read, st.Dialect(), f, q, runs); err != nil {
				return fmt.Errorf("%s: %w", cs.name, err)
			}
		}
		if plans {
			for _, s := range []struct {
				what, sql string
				args      []any
			}{{"count", q.count, q.args}, {"page ids", q.inner, q.pageArgs}} {
				fmt.Printf("  plan of %s: %s\n", s.what, oneLineSQL(s.sql))
				lines, err := explain(ctx, read, st.Dialect(), s.sql, s.args)
				if err != nil {
					return fmt.Errorf("%s: explain %s: %w", cs.name, s.what, err)
				}
				for _, l := range lines {
					fmt.Println("    " + l)
				}
			}
		}
	}
	return nil
}

// listQueries are the statements of sqlstore's userRepo.List for one
// filter, as that function builds them (internal/storage/sqlstore/users.go;
// keep the two in step). args fit count; pageArgs fit inner.
type listQueries struct {
	count, inner, page string
	args, pageArgs     []any
}

const userColsForPlan = `id, user_name, user_name_key, name, mobile, mobile_key, email, email_key,
	employee_id, external_id, first_name, middle_name, last_name, profile, extension,
	password_hash, pwd_must_modify, pwd_changed_at, disabled, locked, grade, home_org_id,
	created_at, updated_at`

func listSQL(dialect string, f storage.UserFilter) listQueries {
	var from, where, order string
	args := []any{storage.DefaultTenantID}
	if f.OrgID != "" {
		from = "user_orgs m JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id"
		where = "m.tenant_id = ? AND m.org_id = ?"
		args = append(args, f.OrgID)
		order = "m.user_id"
	} else {
		from = "users u"
		where = "u.tenant_id = ?"
		order = "u.id"
	}
	if !f.UpdatedAfter.IsZero() {
		where += " AND u.updated_at > ?"
		args = append(args, f.UpdatedAfter.UnixMilli())
		order = "u.updated_at, u.id"
	}
	inner := "SELECT u.id FROM " + from + " WHERE " + where + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	return listQueries{
		count:    rebind(dialect, "SELECT count(*) FROM "+from+" WHERE "+where),
		inner:    rebind(dialect, inner),
		page:     rebind(dialect, "SELECT "+userColsForPlan+" FROM users WHERE tenant_id = ? AND id IN ("+inner+")"),
		args:     args,
		pageArgs: append(append([]any{}, args...), f.Limit, f.Offset),
	}
}

// rebind turns '?' placeholders into PostgreSQL's $n.
func rebind(dialect, q string) string {
	if dialect != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func oneLineSQL(q string) string { return strings.Join(strings.Fields(q), " ") }

// drain runs a query and reads every row.
func drain(ctx context.Context, db *sql.DB, q string, args []any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

type timing struct {
	median, min time.Duration
	err         error
}

func timeIt(runs int, fn func() error) timing {
	var ds []time.Duration
	for range max(1, runs) {
		t := time.Now()
		if err := fn(); err != nil {
			return timing{err: err}
		}
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	return timing{median: ds[len(ds)/2], min: ds[0]}
}

// explain returns the plan of q: EXPLAIN QUERY PLAN on SQLite, EXPLAIN
// (ANALYZE, BUFFERS) on PostgreSQL (which runs the query once more).
func explain(ctx context.Context, db *sql.DB, dialect, q string, args []any) ([]string, error) {
	if dialect == "postgres" {
		rows, err := db.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		return out, rows.Err()
	}
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	depth := map[int]int{}
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		depth[id] = depth[parent] + 1
		out = append(out, strings.Repeat("  ", depth[id]-1)+detail)
	}
	return out, rows.Err()
}

// timeAlternatives times rewrites of the list statements that return the
// same rows: for an org filter, counting and paging user_orgs alone (its
// foreign key with ON DELETE CASCADE guarantees the user exists); for a
// page past the first, a keyset seek from the previous page's last row,
// which is what a page-anchor cache would run for a client paging in order.
func timeAlternatives(ctx context.Context, db *sql.DB, dialect string, f storage.UserFilter, q listQueries, runs int) error {
	type alt struct {
		what, sql string
		args      []any
		sameAs    string // the original statement that must give the same rows
		sameArgs  []any
	}
	var alts []alt
	if f.OrgID != "" && f.UpdatedAfter.IsZero() {
		alts = append(alts,
			alt{"proposed count: user_orgs only", "SELECT count(*) FROM user_orgs WHERE tenant_id = ? AND org_id = ?", q.args, q.count, q.args},
			alt{"proposed page ids: user_orgs only", "SELECT user_id FROM user_orgs WHERE tenant_id = ? AND org_id = ? ORDER BY user_id LIMIT ? OFFSET ?", q.pageArgs, q.inner, q.pageArgs})
	}
	if f.OrgID == "" && f.Offset > 0 {
		// The anchor: the last row of the page before.
		prev := listQueries{}
		g := f
		g.Offset, g.Limit = f.Offset-1, 1
		prev = listSQL(dialect, g)
		if f.UpdatedAfter.IsZero() {
			var id string
			if err := db.QueryRowContext(ctx, prev.inner, prev.pageArgs...).Scan(&id); err != nil {
				return fmt.Errorf("anchor: %w", err)
			}
			alts = append(alts, alt{"proposed page ids: keyset seek after anchor",
				"SELECT id FROM users WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
				[]any{storage.DefaultTenantID, id, f.Limit}, q.inner, q.pageArgs})
		} else {
			var id string
			var upd int64
			anchor := strings.Replace(prev.inner, "SELECT u.id FROM", "SELECT u.id, u.updated_at FROM", 1)
			if err := db.QueryRowContext(ctx, anchor, prev.pageArgs...).Scan(&id, &upd); err != nil {
				return fmt.Errorf("anchor: %w", err)
			}
			alts = append(alts, alt{"proposed page ids: keyset seek after anchor",
				"SELECT id FROM users WHERE tenant_id = ? AND (updated_at, id) > (?, ?) ORDER BY updated_at, id LIMIT ?",
				[]any{storage.DefaultTenantID, upd, id, f.Limit}, q.inner, q.pageArgs})
		}
	}
	for _, a := range alts {
		r := timeIt(runs, func() error { return drain(ctx, db, rebind(dialect, a.sql), a.args) })
		if r.err != nil {
			return fmt.Errorf("%s: %w", a.what, r.err)
		}
		same := "same rows as the original"
		got, err := column(ctx, db, rebind(dialect, a.sql), a.args)
		if err != nil {
			return fmt.Errorf("%s: %w", a.what, err)
		}
		want, err := column(ctx, db, a.sameAs, a.sameArgs)
		if err != nil {
			return fmt.Errorf("%s: original: %w", a.what, err)
		}
		if !slices.Equal(got, want) {
			same = fmt.Sprintf("DIFFERENT ROWS: %v, original %v", got, want)
		}
		fmt.Printf("  %-42s median %8s ms   min %8s ms   (%s)\n", a.what, msec(r.median), msec(r.min), same)
	}
	return nil
}

// column runs q and returns its first column, as text.
func column(ctx context.Context, db *sql.DB, q string, args []any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
