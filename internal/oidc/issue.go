package oidc

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// grantInfo is what tokens of one authorization share.
type grantInfo struct {
	tenantID string
	issuer   string
	client   *client
	user     *storage.User // nil for client_credentials
	scope    string
	// refreshScope is what a new refresh token carries when it differs from
	// scope: narrowing a refresh narrows the access token, not the grant
	// (RFC 6749 section 6).
	refreshScope string
	grantID      string
	sid          string
	authTime     time.Time
	amr          []string
	acr          string
	nonce        string
	// grant is the user's account and roles in the application, for
	// mapped claims (nil when no mapping needs them).
	grant *apps.Grant
	// audiences are the APIs whose scopes the token carries, besides the
	// client itself.
	audiences []string
}

// issued is a token response.
type issued struct {
	accessToken  string
	expiresIn    int64
	scope        string
	refreshToken string
	idToken      string
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return b64.EncodeToString(b[:])
}

// accessToken mints the access token of g in the application's format.
func (p *Provider) mintAccessToken(ctx context.Context, g *grantInfo, now time.Time) (string, int64, error) {
	s := &g.client.app.OIDC
	life := int64(s.AccessTokenLifetime)
	t := &accessToken{TenantID: g.tenantID, ClientID: g.client.id(), GrantID: g.grantID, JTI: randomID(),
		Scope: g.scope, SID: g.sid, IssuedAt: now.Unix(), ExpiresAt: now.Unix() + life}
	if g.user != nil {
		t.Subject, t.UserToken = g.user.ID, true
	} else {
		t.Subject = g.client.id()
	}
	if s.AccessTokenFormat != apps.FormatJWT {
		return p.opaque.seal(t), life, nil
	}
	// RFC 9068: a JWT access token, typ at+jwt, audience the client.
	j := newJSON(384).str("iss", g.issuer).str("sub", t.Subject)
	if len(g.audiences) > 0 {
		j.strs("aud", append([]string{t.ClientID}, g.audiences...))
	} else {
		j.str("aud", t.ClientID)
	}
	j.
		num("exp", t.ExpiresAt).num("iat", t.IssuedAt).str("jti", t.JTI).str("client_id", t.ClientID).
		str("scope", t.Scope).str("gid", t.GrantID)
	if g.user != nil {
		j.num("auth_time", g.authTime.Unix()).strOpt("sid", g.sid)
		mappedClaims(j, g.client.app.Mappings, apps.InAccessToken, g.user, g.grant)
	}
	tok, err := p.Keys.SignTyped(ctx, g.tenantID, s.IDTokenSignedAlg, "at+jwt", j.done())
	return tok, life, err
}

// mintIDToken builds and signs the ID token of g (OpenID Connect Core
// section 2); accessToken, when given, adds at_hash.
func (p *Provider) mintIDToken(ctx context.Context, g *grantInfo, accessToken string, now time.Time) (string, error) {
	s := &g.client.app.OIDC
	j := newJSON(768).str("iss", g.issuer).str("sub", g.user.ID).str("aud", g.client.id()).str("azp", g.client.id()).
		num("exp", now.Unix()+int64(s.IDTokenLifetime)).num("iat", now.Unix()).num("auth_time", g.authTime.Unix())
	j.strOpt("nonce", g.nonce).strOpt("acr", g.acr)
	if len(g.amr) > 0 {
		j.strs("amr", g.amr)
	}
	j.strOpt("sid", g.sid)
	if accessToken != "" {
		j.str("at_hash", halfHash(accessToken))
	}
	mappedClaims(j, g.client.app.Mappings, apps.InIDToken, g.user, g.grant)
	scopeClaims(j, g.user, splitScope(g.scope))
	return p.Keys.Sign(ctx, g.tenantID, s.IDTokenSignedAlg, j.done())
}

// halfHash is the left half of SHA-256, base64url (at_hash for RS256 and
// ES256, OpenID Connect Core section 3.1.3.6).
func halfHash(v string) string {
	h := sha256.Sum256([]byte(v))
	return b64.EncodeToString(h[:16])
}

// issue mints the token response of g: an access token, a refresh token
// when the application has a refresh lifetime (OneAccess issues none by
// default), and an ID token when openid was granted to a user.
func (p *Provider) issue(ctx context.Context, g *grantInfo, now time.Time) (*issued, error) {
	out := &issued{scope: g.scope}
	var err error
	if out.accessToken, out.expiresIn, err = p.mintAccessToken(ctx, g, now); err != nil {
		return nil, err
	}
	s := &g.client.app.OIDC
	if g.user != nil && s.RefreshTokenLifetime > 0 {
		out.refreshToken = randomToken()
		err := p.Store.RefreshTokens().Create(ctx, &storage.RefreshToken{
			TenantID: g.tenantID, Hash: secret.Hash(out.refreshToken), ClientID: g.client.id(), UserID: g.user.ID,
			SID: g.sid, GrantID: g.grantID, Scope: cmp.Or(g.refreshScope, g.scope), AuthTime: g.authTime, AMR: g.amr, ACR: g.acr,
			CreatedAt: now, ExpiresAt: now.Add(time.Duration(s.RefreshTokenLifetime) * time.Second)})
		if err != nil {
			return nil, err
		}
	}
	if g.user != nil && slices.Contains(splitScope(g.scope), "openid") {
		if out.idToken, err = p.mintIDToken(ctx, g, "", now); err != nil {
			return nil, err
		}
		p.recordLogin(ctx, g, now)
	}
	return out, nil
}

// writeTokens writes a token response in OneAccess's field order.
func writeTokens(w http.ResponseWriter, t *issued) {
	j := newJSON(512).str("access_token", t.accessToken).str("token_type", "Bearer").num("expires_in", t.expiresIn)
	j.strOpt("scope", t.scope).strOpt("refresh_token", t.refreshToken).strOpt("id_token", t.idToken)
	noStoreJSON(w.Header(), true)
	w.WriteHeader(http.StatusOK)
	w.Write(j.done())
}

// mappedClaims adds the application's mapped claims for target; they go
// before the standard claims and so win over one of the same name.
func mappedClaims(j *jsonw, ms []apps.ClaimMapping, target string, u *storage.User, g *apps.Grant) {
	if len(ms) == 0 {
		return
	}
	src := apps.Source{User: u}
	if g != nil {
		src.Account, src.Roles = g.Account, g.Roles
	}
	for i := range ms {
		m := &ms[i]
		if !m.Goes(target) {
			continue
		}
		switch v := m.Resolve(&src); {
		case v.IsStr:
			j.str(m.Claim, v.Str)
		case v.IsList:
			j.strs(m.Claim, v.Strs)
		case v.Raw != nil:
			j.raw(m.Claim, v.Raw)
		}
	}
}

// access is apps.CheckAccess for a client: whether the user may use the
// application, and the account and roles its claims need.
func (p *Provider) access(ctx context.Context, cl *client, u *storage.User) (*apps.Grant, error) {
	return apps.CheckAccess(ctx, p.Store, &cl.app.Application, cl.app.Mappings, u)
}

// userFor reads the user of a code or token for p.access and the claims
// of cl: the row alone (one query), or with the organisation memberships
// when the application's access policy reads them.
func (p *Provider) userFor(ctx context.Context, cl *client, tenantID, userID string) (*storage.User, error) {
	if apps.NeedsOrgs(&cl.app.Application) {
		return p.Store.Users().Get(ctx, tenantID, userID)
	}
	return p.Store.Users().GetWithoutOrgs(ctx, tenantID, userID)
}
