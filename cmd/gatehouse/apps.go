package main

import (
	"context"
	"errors"
	"flag"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

var appArgs struct {
	tenant, name, protocol, id, redirects, grants, scopes, perms, authMethod, format, alg string
	refresh                                                                               int
}

func appCreateFlags(fs *flag.FlagSet) func() error {
	fs.StringVar(&appArgs.tenant, "tenant", storage.DefaultTenantID, "tenant id")
	fs.StringVar(&appArgs.name, "name", "", "application name (required)")
	fs.StringVar(&appArgs.protocol, "protocol", storage.ProtocolOIDC, "oidc, oauth2, saml, cas or form_fill")
	fs.StringVar(&appArgs.redirects, "redirect-uri", "", "comma-separated redirect URIs (oidc, oauth2)")
	fs.StringVar(&appArgs.grants, "grant-types", "", "comma-separated grant types (default authorization_code)")
	fs.StringVar(&appArgs.scopes, "scopes", "", "comma-separated allowed scopes (default openid,profile,email,phone; oauth2: get_user_info)")
	fs.StringVar(&appArgs.perms, "api-permissions", "", "comma-separated management-API permissions of its client (user_read, user_all, org_all, app_org_all, all)")
	fs.StringVar(&appArgs.authMethod, "auth-method", "", "token_endpoint_auth_method: client_secret_post (default), client_secret_basic, none (public client)")
	fs.StringVar(&appArgs.format, "access-token-format", "", "opaque (default) or jwt")
	fs.StringVar(&appArgs.alg, "id-token-alg", "", "RS256 (default) or ES256")
	fs.IntVar(&appArgs.refresh, "refresh-token-lifetime", 0, "refresh-token lifetime in seconds (0: no refresh tokens, OneAccess's default)")
	return func() error {
		if appArgs.name == "" {
			return errors.New("--name is required")
		}
		return nil
	}
}

func list(v string) opt.Value[[]string] {
	if v == "" {
		return opt.Value[[]string]{}
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return opt.Value[[]string]{Set: true, V: out}
}

func runAppCreate(e *cmdEnv) error {
	ctx := context.Background()
	app, err := e.openApp(ctx, e.quietLogger())
	if err != nil {
		return err
	}
	defer app.Close()
	w := &apps.AppWrite{Name: opt.Some(appArgs.name), Protocol: opt.Some(appArgs.protocol), APIPermissions: list(appArgs.perms)}
	if appArgs.protocol == storage.ProtocolOIDC || appArgs.protocol == storage.ProtocolOAuth2 {
		o := apps.OIDCWrite{RedirectURIs: list(appArgs.redirects), GrantTypes: list(appArgs.grants), Scopes: list(appArgs.scopes)}
		for dst, v := range map[*opt.String]string{&o.TokenEndpointAuthMethod: appArgs.authMethod, &o.AccessTokenFormat: appArgs.format, &o.IDTokenSignedAlg: appArgs.alg} {
			if v != "" {
				*dst = opt.Some(v)
			}
		}
		if appArgs.refresh > 0 {
			o.RefreshTokenLifetime = opt.Value[int]{Set: true, V: appArgs.refresh}
		}
		w.OIDC = opt.Value[apps.OIDCWrite]{Set: true, V: o}
	}
	a, err := app.Apps.Register(ctx, appArgs.tenant, audit.System, w)
	if err != nil {
		return err
	}
	return e.printJSON(appJSON(a))
}

func appJSON(a *apps.App) map[string]any {
	m := map[string]any{"application_id": a.ID, "client_id": a.ClientID, "name": a.Name, "protocol": a.Protocol,
		"status": map[bool]string{false: "enabled", true: "disabled"}[a.Disabled]}
	if a.ClientSecret != "" {
		m["client_secret"] = a.ClientSecret
	}
	if a.Protocol == storage.ProtocolOIDC || a.Protocol == storage.ProtocolOAuth2 {
		m["oidc"] = a.OIDC
	}
	return m
}

func appListFlags(fs *flag.FlagSet) func() error {
	fs.StringVar(&appArgs.tenant, "tenant", storage.DefaultTenantID, "tenant id")
	return nil
}

func runAppList(e *cmdEnv) error {
	ctx := context.Background()
	app, err := e.openApp(ctx, e.quietLogger())
	if err != nil {
		return err
	}
	defer app.Close()
	for offset := 0; ; offset += 100 {
		page, total, err := app.Apps.List(ctx, appArgs.tenant, offset, 100)
		if err != nil {
			return err
		}
		for _, a := range page {
			if err := e.printJSON(appJSON(a)); err != nil {
				return err
			}
		}
		if offset+100 >= total {
			return nil
		}
	}
}

func appDeleteFlags(fs *flag.FlagSet) func() error {
	fs.StringVar(&appArgs.tenant, "tenant", storage.DefaultTenantID, "tenant id")
	fs.StringVar(&appArgs.id, "id", "", "application id (required)")
	return func() error {
		if appArgs.id == "" {
			return errors.New("--id is required")
		}
		return nil
	}
}

func runAppDelete(e *cmdEnv) error {
	ctx := context.Background()
	app, err := e.openApp(ctx, e.quietLogger())
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.Apps.Delete(ctx, appArgs.tenant, audit.System, appArgs.id); err != nil {
		return err
	}
	return e.printJSON(map[string]string{"application_id": appArgs.id, "status": "deleted"})
}
