package apps

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Clients manages API clients and their management tokens.
type Clients struct {
	Store  storage.Store
	Sealer *secret.Sealer
	Now    func() time.Time
	// TokenLifetime is the management token lifetime (OneAccess: 1800 s).
	TokenLifetime time.Duration
}

// NewClient is a freshly created client with its secret, shown only once.
type NewClient struct {
	ClientID string
	Secret   string
}

// Create stores a new client with a generated id and 256-bit secret, in
// the caller's transaction.
func (c *Clients) Create(ctx context.Context, tx storage.Repos, tenantID, name string, perms []string) (NewClient, error) {
	nc := NewClient{ClientID: idgen.Alnum(32), Secret: idgen.Secret()}
	err := tx.APIClients().Create(ctx, &storage.APIClient{
		TenantID: tenantID, ClientID: nc.ClientID, Name: name,
		SecretHash: secret.Hash(nc.Secret), Permissions: perms, CreatedAt: c.Now(),
	})
	return nc, err
}

// EnsureBootstrap creates the client named by the operator (from
// GATEHOUSE_BOOTSTRAP_API_CLIENT_ID/SECRET) with full rights, unless it
// exists. It reports whether it created it.
func (c *Clients) EnsureBootstrap(ctx context.Context, tenantID, clientID, clientSecret string) (bool, error) {
	_, err := c.Store.APIClients().Get(ctx, tenantID, clientID)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return false, err
	}
	err = c.Store.APIClients().Create(ctx, &storage.APIClient{
		TenantID: tenantID, ClientID: clientID, Name: "bootstrap",
		SecretHash: secret.Hash(clientSecret), Permissions: []string{storage.PermAll}, CreatedAt: c.Now(),
	})
	if errors.Is(err, storage.ErrConflict) { // another node created it first
		return false, nil
	}
	return err == nil, err
}

var errBadClient = failure.New(failure.Unauthenticated, "invalid_client", "client_id", "Bad client credentials")

// dummyHash is compared against when the client does not exist, so that
// an unknown id and a wrong secret take the same time.
var dummyHash = secret.Hash("gatehouse-no-such-client")

// Authenticate checks a client's secret in constant time, accepting the
// previous secret until it lapses.
func (c *Clients) Authenticate(ctx context.Context, tenantID, clientID, clientSecret string) (*storage.APIClient, error) {
	if clientID == "" || clientSecret == "" || len(clientID) > 256 || len(clientSecret) > 512 {
		return nil, errBadClient
	}
	cl, err := c.Store.APIClients().Get(ctx, tenantID, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		secret.Equal(dummyHash, secret.Hash(clientSecret))
		return nil, errBadClient
	}
	if err != nil {
		return nil, err
	}
	h := secret.Hash(clientSecret)
	ok := secret.Equal(cl.SecretHash, h)
	prevOK := len(cl.PrevSecretHash) > 0 && c.Now().Before(cl.PrevValidUntil) && secret.Equal(cl.PrevSecretHash, h)
	if subtle.ConstantTimeEq(b2i(ok)|b2i(prevOK), 1) != 1 {
		return nil, errBadClient
	}
	if cl.ApplicationID != "" { // an application's client works while the application is enabled
		app, err := c.Store.Apps().Get(ctx, tenantID, cl.ApplicationID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && app.Disabled) {
			return nil, errBadClient
		}
		if err != nil {
			return nil, err
		}
	}
	return cl, nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// Allows reports whether a client's permissions cover perm: "all" covers
// every tenant-level permission, and "user_all" covers "user_read".
func Allows(perms []string, perm string) bool {
	if slices.Contains(perms, storage.PermAll) || slices.Contains(perms, perm) {
		return true
	}
	return perm == storage.PermUserRead && slices.Contains(perms, storage.PermUserAll)
}

// IsSuperAdmin reports whether a client may call the system API: a client
// of the default tenant with every permission that belongs to no
// application.
func IsSuperAdmin(cl *storage.APIClient) bool {
	return cl.TenantID == storage.DefaultTenantID && cl.ApplicationID == "" && slices.Contains(cl.Permissions, storage.PermAll)
}
