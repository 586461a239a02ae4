package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// listTarget is one list request: a filter and a page index.
type listTarget struct {
	path  string // the list's path; "" is the user list
	query string // org_id=... or updated_at_greater=...
	page  int
}

const (
	usersPath = "/api/v2/tenant/users"
	orgsPath  = "/api/v2/tenant/organizations"
)

// listScenario is a set of targets that one run picks from at random, so
// that it does not measure one cached page.
type listScenario struct {
	name    string
	targets []listTarget
}

func runList(args []string) error {
	fs := flag.NewFlagSet("ghbench list", flag.ContinueOnError)
	var c common
	var clients, scenarios, updatedAfter string
	var warmup, dur time.Duration
	var maxReqs, sampleOrgs int
	fs.StringVar(&clients, "clients", "1,4", "comma-separated numbers of concurrent clients; each scenario runs once per number")
	fs.StringVar(&scenarios, "scenarios", "org,org-large,updated,all-first,all-mid,subtree,subtree-division",
		"comma-separated: org (a department, middle page), org-large (a project org, middle page), updated (updated_at_greater, middle page), all-first (no filter, page 0), all-mid (no filter, middle page), subtree (the organisation list of the whole tree, all_child=true, middle page), subtree-division (a division's subtree, middle page)")
	fs.StringVar(&updatedAfter, "updated-after", "2024-12-10 00:00:00", "updated_at_greater of the updated scenario")
	fs.DurationVar(&warmup, "warmup", 3*time.Second, "warm-up per run, not measured")
	fs.DurationVar(&dur, "duration", 20*time.Second, "measured time per run at most")
	fs.IntVar(&maxReqs, "max-requests", 2000, "measured requests per run at most")
	fs.IntVar(&sampleOrgs, "sample-orgs", 200, "departments the org scenario picks from")
	if err := parseFlags(fs, &c, args); err != nil {
		return err
	}
	var concs []int
	for _, s := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--clients %q: want numbers >= 1", clients)
		}
		concs = append(concs, n)
	}
	ctx := context.Background()
	depts, projects, err := seededOrgIDs(ctx, c.db, sampleOrgs)
	if err != nil {
		return err
	}
	p, ready, err := c.start(ctx, startOptions{})
	if err != nil {
		return err
	}
	defer p.stop()
	fmt.Println(machine(c.backend()))
	fmt.Printf("server ready in %s%s\n", ready.Round(time.Millisecond), p.logNote())
	tok, err := p.token(ctx)
	if err != nil {
		return err
	}
	middleOf := func(path, query string, spread int) ([]listTarget, int, error) {
		total, err := listTotalAt(ctx, p.base, tok, path, query)
		if err != nil {
			return nil, 0, err
		}
		mid := total / 10 / 2
		var ts []listTarget
		for pg := max(0, mid-spread); pg <= mid+spread; pg++ {
			ts = append(ts, listTarget{path, query, pg})
		}
		return ts, total, nil
	}
	middle := func(query string, spread int) ([]listTarget, int, error) { return middleOf(usersPath, query, spread) }
	var runs []listScenario
	for _, name := range strings.Split(scenarios, ",") {
		sc := listScenario{}
		switch name {
		case "org", "org-large":
			ids := depts
			if name == "org-large" {
				ids = projects
			}
			if len(ids) == 0 {
				return fmt.Errorf("%s: no seeded organisations in %s: run ghbench seed first", name, c.backend())
			}
			sum := 0
			for _, id := range ids {
				ts, total, err := middle("org_id="+id, 0)
				if err != nil {
					return err
				}
				sum += total
				sc.targets = append(sc.targets, ts...)
			}
			sc.name = fmt.Sprintf("%s: %d orgs, ~%d users each, middle page", name, len(ids), sum/len(ids))
		case "updated":
			ts, total, err := middle("updated_at_greater="+url.QueryEscape(updatedAfter), 20)
			if err != nil {
				return err
			}
			sc.targets = ts
			sc.name = fmt.Sprintf("updated: %d matches, pages %d-%d", total, ts[0].page, ts[len(ts)-1].page)
		case "all-first":
			total, err := listTotal(ctx, p.base, tok, "org_id=")
			if err != nil {
				return err
			}
			sc.targets = []listTarget{{usersPath, "org_id=", 0}}
			sc.name = fmt.Sprintf("all-first: %d users, page 0", total)
		case "all-mid":
			ts, total, err := middle("org_id=", 50)
			if err != nil {
				return err
			}
			sc.targets = ts
			sc.name = fmt.Sprintf("all-mid: %d users, pages %d-%d", total, ts[0].page, ts[len(ts)-1].page)
		case "subtree", "subtree-division":
			root, divisions, err := seededTreeIDs(ctx, c.db, 20)
			if err != nil {
				return err
			}
			ids := []string{root}
			if name == "subtree-division" {
				ids = divisions
			}
			sum := 0
			for _, id := range ids {
				ts, total, err := middleOf(orgsPath, "org_id="+id+"&all_child=true", 5)
				if err != nil {
					return err
				}
				sum += total
				sc.targets = append(sc.targets, ts...)
			}
			sc.name = fmt.Sprintf("%s: %d subtree(s) of ~%d organisations, middle pages", name, len(ids), sum/len(ids))
		default:
			return fmt.Errorf("unknown scenario %q", name)
		}
		runs = append(runs, sc)
	}
	tbl := newTable(c.backend())
	for _, sc := range runs {
		for _, n := range concs {
			sp := loadSpec{name: sc.name, conc: n, warmup: warmup, dur: dur, maxReqs: maxReqs}
			tbl.row(runLoad(ctx, sp, listOp(p.base, tok, sc.targets)))
		}
	}
	return nil
}

// listOp requests a random target of ts.
func listOp(base, token string, ts []listTarget) op {
	return func(ctx context.Context, _, _ int) error {
		t := ts[rand.IntN(len(ts))]
		req, err := http.NewRequestWithContext(ctx, "GET",
			fmt.Sprintf("%s%s?%s&offset=%d&limit=10", base, t.path, t.query, t.page), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return doJSON(req, http.StatusOK, nil)
	}
}

// listTotalAt is the total a list answers for query.
func listTotalAt(ctx context.Context, base, token, path, query string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+path+"?offset=0&limit=10&"+query, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var out struct {
		Total int `json:"total"`
	}
	if err := doJSON(req, http.StatusOK, &out); err != nil {
		return 0, fmt.Errorf("list %s?%s: %w", path, query, err)
	}
	return out.Total, nil
}

// seededTreeIDs looks up the seeded root and up to n divisions.
func seededTreeIDs(ctx context.Context, dsn string, n int) (root string, divisions []string, err error) {
	st, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		return "", nil, err
	}
	defer st.Close()
	o, err := st.Orgs().GetByCode(ctx, storage.DefaultTenantID, rootCode)
	if err != nil {
		return "", nil, fmt.Errorf("the seeded root organisation %s: %w (run ghbench seed first)", rootCode, err)
	}
	for i := 0; len(divisions) < n; i++ {
		d, err := st.Orgs().GetByCode(ctx, storage.DefaultTenantID, divisionCode(i))
		if errors.Is(err, storage.ErrNotFound) {
			break
		}
		if err != nil {
			return "", nil, err
		}
		divisions = append(divisions, d.ID)
	}
	return o.ID, divisions, nil
}

// seededOrgIDs looks up, through the storage layer, the ids of n seeded
// departments spread over the tree and of every seeded project.
func seededOrgIDs(ctx context.Context, dsn string, n int) (depts, projects []string, err error) {
	st, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	// Departments 0, k, 2k, ...: present whatever --depts the seed had,
	// as long as the first n*k exist; stop at the first missing one.
	const stride = 37
	for i := 0; len(depts) < n; i += stride {
		o, err := st.Orgs().GetByCode(ctx, storage.DefaultTenantID, deptCode(i))
		if errors.Is(err, storage.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		depts = append(depts, o.ID)
	}
	for i := 0; ; i++ {
		o, err := st.Orgs().GetByCode(ctx, storage.DefaultTenantID, projectCode(i))
		if errors.Is(err, storage.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		projects = append(projects, o.ID)
	}
	return depts, projects, nil
}
