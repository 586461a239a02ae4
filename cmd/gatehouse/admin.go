package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Commands that act on the database directly, printing JSON so that an
// operator can script without a token.

var tenantArgs struct{ name, domain string }

func tenantCreateFlags(fs *flag.FlagSet) func() error {
	fs.StringVar(&tenantArgs.name, "name", "", "tenant name (required)")
	fs.StringVar(&tenantArgs.domain, "domain", "", "host name that selects the tenant, e.g. acme.example.com (required)")
	return func() error {
		if tenantArgs.name == "" || tenantArgs.domain == "" {
			return errors.New("--name and --domain are required")
		}
		return nil
	}
}

func runTenantCreate(e *cmdEnv) error {
	ctx := context.Background()
	app, err := e.openApp(ctx, e.quietLogger())
	if err != nil {
		return err
	}
	defer app.Close()
	c, err := app.Tenants.Create(ctx, audit.System, tenantArgs.name, tenantArgs.domain)
	if err != nil {
		return err
	}
	return e.printJSON(map[string]string{"tenant_id": c.Tenant.ID, "domain": c.Tenant.Domain,
		"api_client_id": c.Client.ClientID, "api_client_secret": c.Client.Secret})
}

func runTenantList(e *cmdEnv) error {
	ctx := context.Background()
	app, err := e.openApp(ctx, e.quietLogger())
	if err != nil {
		return err
	}
	defer app.Close()
	list, err := app.Tenants.List(ctx)
	if err != nil {
		return err
	}
	for _, t := range list {
		if err := e.printJSON(map[string]string{"tenant_id": t.ID, "name": t.Name, "domain": t.Domain,
			"created_at": t.CreatedAt.Format("2006-01-02T15:04:05.000Z07:00")}); err != nil {
			return err
		}
	}
	return nil
}

var userArgs struct {
	tenant, userName, password, mobile, email, name string
	offset, limit                                   int
}

func userCreateFlags(fs *flag.FlagSet) func() error {
	fs.StringVar(&userArgs.tenant, "tenant", storage.DefaultTenantID, "tenant id")
	fs.StringVar(&userArgs.userName, "user-name", "", "user name (required)")
	fs.StringVar(&userArgs.password, "password", "", "password (read from GATEHOUSE_PASSWORD when empty)")
	fs.StringVar(&userArgs.mobile, "mobile", "", "mobile number")
	fs.StringVar(&userArgs.email, "email", "", "e-mail address")
	fs.StringVar(&userArgs.name, "name", "", "display name (default: the user name)")
	return func() error {
		if userArgs.userName == "" {
			return errors.New("--user-name is required")
		}
		return nil
	}
}

func runUserCreate(e *cmdEnv) error {
	ctx := context.Background()
	app, err := e.openApp(ctx, e.quietLogger())
	if err != nil {
		return err
	}
	defer app.Close()
	w := &directory.UserWrite{UserName: opt.Some(userArgs.userName)}
	for _, f := range []struct {
		dst *opt.String
		v   string
	}{{&w.Password, userArgs.password}, {&w.Mobile, userArgs.mobile}, {&w.Email, userArgs.email}, {&w.Name, userArgs.name}} {
		if f.v != "" {
			*f.dst = opt.Some(f.v)
		}
	}
	id, err := app.Users.Create(ctx, userArgs.tenant, audit.System, w)
	if err != nil {
		return err
	}
	return e.printJSON(map[string]string{"user_id": id})
}

func userListFlags(fs *flag.FlagSet) func() error {
	fs.StringVar(&userArgs.tenant, "tenant", storage.DefaultTenantID, "tenant id")
	fs.IntVar(&userArgs.offset, "offset", 0, "rows to skip")
	fs.IntVar(&userArgs.limit, "limit", 100, "rows to print")
	return nil
}

func runUserList(e *cmdEnv) error {
	ctx := context.Background()
	app, err := e.openApp(ctx, e.quietLogger())
	if err != nil {
		return err
	}
	defer app.Close()
	users, _, err := app.Users.List(ctx, userArgs.tenant, storage.UserFilter{Offset: userArgs.offset, Limit: userArgs.limit})
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := e.printJSON(map[string]any{"user_id": u.ID, "user_name": u.UserName, "name": u.Name,
			"mobile": u.Mobile, "email": u.Email, "disabled": u.Disabled}); err != nil {
			return err
		}
	}
	return nil
}

func (e *cmdEnv) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(append(b, '\n'))
	return err
}
