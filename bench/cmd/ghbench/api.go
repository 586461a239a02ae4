package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// runAPI measures management-API throughput: closed-loop clients against
// one server, one scenario after the other.
func runAPI(args []string) error {
	fs := flag.NewFlagSet("ghbench api", flag.ContinueOnError)
	var c common
	var conc int
	var warmup, dur, pwDur time.Duration
	var scenarios string
	fs.IntVar(&conc, "clients", 32, "concurrent clients (keep-alive connections)")
	fs.DurationVar(&warmup, "warmup", 2*time.Second, "warm-up per scenario, not measured")
	fs.DurationVar(&dur, "duration", 10*time.Second, "measured time per scenario")
	fs.DurationVar(&pwDur, "pw-duration", 10*time.Second, "measured time of create-pw (argon2id bounds it near 80/s)")
	fs.StringVar(&scenarios, "scenarios", "create,get,list,list-deep,create-pw", "comma-separated scenarios: create, get, list, list-deep, create-pw")
	if err := parseFlags(fs, &c, args); err != nil {
		return err
	}
	ctx := context.Background()
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
	a := &apiBench{base: p.base, token: tok, nonce: time.Now().Unix() % 1_000_000}
	tbl := newTable(c.backend())
	for _, name := range strings.Split(scenarios, ",") {
		sp := loadSpec{name: name, conc: conc, warmup: warmup, dur: dur}
		var o op
		switch name {
		case "create":
			o = a.create(false)
		case "create-pw":
			o, sp.dur = a.create(true), pwDur
		case "get":
			if err := a.ensureIDs(ctx); err != nil {
				return err
			}
			o = a.get
		case "list":
			o = a.list(0)
		case "list-deep":
			// A page in the middle of the whole directory.
			total, err := a.total(ctx, "")
			if err != nil {
				return err
			}
			o = a.list(total / 10 / 2)
			sp.name = fmt.Sprintf("list-deep (page %d of %d)", total/10/2, (total+9)/10)
		default:
			return fmt.Errorf("unknown scenario %q", name)
		}
		tbl.row(runLoad(ctx, sp, o))
	}
	return nil
}

// apiBench holds what the scenarios share: the server, the token, and the
// ids of users created so far (for get).
type apiBench struct {
	base  string
	token string
	nonce int64 // keeps this run's user names and mobiles apart from other runs'

	mu  sync.Mutex
	ids []string
	seq int
}

func (a *apiBench) request(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=utf8")
	}
	return req, nil
}

// create posts new users, each with a unique user name, mobile and e-mail;
// with password, each also carries a password the policy accepts.
func (a *apiBench) create(withPassword bool) op {
	return func(ctx context.Context, _, _ int) error {
		a.mu.Lock()
		a.seq++
		n := a.seq
		a.mu.Unlock()
		name := fmt.Sprintf("api%06d.%07d", a.nonce, n)
		body := map[string]any{
			"user_name": name,
			"mobile":    fmt.Sprintf("+1-8%06d%07d", a.nonce, n),
			"email":     name + "@api.example.com",
			"name":      "API Bench User",
		}
		if withPassword {
			body["password"] = "Bench#Pass2024!"
		}
		b, _ := json.Marshal(body)
		req, err := a.request(ctx, "POST", "/api/v2/tenant/users", b)
		if err != nil {
			return err
		}
		var out struct {
			UserID string `json:"user_id"`
		}
		if err := doJSON(req, http.StatusCreated, &out); err != nil {
			return err
		}
		a.mu.Lock()
		if len(a.ids) < 100_000 {
			a.ids = append(a.ids, out.UserID)
		}
		a.mu.Unlock()
		return nil
	}
}

// ensureIDs fills the id list from the first list pages when the create
// scenario did not run.
func (a *apiBench) ensureIDs(ctx context.Context) error {
	if len(a.ids) > 0 {
		return nil
	}
	for page := 0; page < 10; page++ {
		req, err := a.request(ctx, "GET", fmt.Sprintf("/api/v2/tenant/users?offset=%d&limit=100", page), nil)
		if err != nil {
			return err
		}
		var out struct {
			Users []struct {
				UserID string `json:"user_id"`
			} `json:"users"`
		}
		if err := doJSON(req, http.StatusOK, &out); err != nil {
			return err
		}
		for _, u := range out.Users {
			a.ids = append(a.ids, u.UserID)
		}
		if len(out.Users) < 100 {
			break
		}
	}
	if len(a.ids) == 0 {
		return errors.New("get: the directory has no users: run the create scenario first or seed the database")
	}
	return nil
}

// get fetches a random known user.
func (a *apiBench) get(ctx context.Context, _, _ int) error {
	id := a.ids[rand.IntN(len(a.ids))]
	req, err := a.request(ctx, "GET", "/api/v2/tenant/users/"+id, nil)
	if err != nil {
		return err
	}
	return doJSON(req, http.StatusOK, nil)
}

// list fetches page `page` (limit 10) of the whole directory.
func (a *apiBench) list(page int) op {
	path := fmt.Sprintf("/api/v2/tenant/users?org_id=&offset=%d&limit=10", page)
	return func(ctx context.Context, _, _ int) error {
		req, err := a.request(ctx, "GET", path, nil)
		if err != nil {
			return err
		}
		return doJSON(req, http.StatusOK, nil)
	}
}

// total is the number of users matching an org filter ("" for all).
func (a *apiBench) total(ctx context.Context, orgID string) (int, error) {
	return listTotal(ctx, a.base, a.token, "org_id="+orgID)
}

// listTotal asks the list API for the total matching query.
func listTotal(ctx context.Context, base, token, query string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v2/tenant/users?offset=0&limit=10&"+query, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var out struct {
		Total int `json:"total"`
	}
	if err := doJSON(req, http.StatusOK, &out); err != nil {
		return 0, fmt.Errorf("list %s: %w", query, err)
	}
	return out.Total, nil
}
