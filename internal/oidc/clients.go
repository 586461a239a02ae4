package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// client is an OAuth client as the provider sees it: the application and
// its credential.
type client struct {
	app    *apps.App
	cred   *storage.APIClient
	loaded time.Time
}

func (c *client) id() string { return c.app.ClientID }

// clientCacheTTL bounds how long a node uses a cached application after a
// change made on another node (a change on this node drops it at once).
const clientCacheTTL = 2 * time.Second

// clientCache keeps applications and credentials in memory: the token
// endpoint is the hottest path and must not read them on every call.
type clientCache struct {
	apps  *apps.Applications
	store storage.Store
	now   func() time.Time

	mu sync.RWMutex
	m  map[string]*client // tenant "\x00" client id
}

func cacheKey(tenantID, clientID string) string { return tenantID + "\x00" + clientID }

// Forget drops a client, after a change to its application.
func (c *clientCache) Forget(tenantID, clientID string) {
	c.mu.Lock()
	delete(c.m, cacheKey(tenantID, clientID))
	c.mu.Unlock()
}

var errNoClient = errors.New("oidc: unknown client")

// get returns the enabled OAuth client of the tenant, or errNoClient.
func (c *clientCache) get(ctx context.Context, tenantID, clientID string) (*client, error) {
	if clientID == "" || len(clientID) > 128 {
		return nil, errNoClient
	}
	k := cacheKey(tenantID, clientID)
	c.mu.RLock()
	cl := c.m[k]
	c.mu.RUnlock()
	now := c.now()
	if cl == nil || now.Sub(cl.loaded) >= clientCacheTTL {
		app, err := c.apps.GetByClientID(ctx, tenantID, clientID)
		if errors.Is(err, apps.ErrAppNotFound) {
			c.Forget(tenantID, clientID)
			return nil, errNoClient
		}
		if err != nil {
			return nil, err
		}
		cred, err := c.store.APIClients().Get(ctx, tenantID, clientID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, errNoClient
		}
		if err != nil {
			return nil, err
		}
		cl = &client{app: app, cred: cred, loaded: now}
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]*client{}
		}
		c.m[k] = cl
		c.mu.Unlock()
	}
	if cl.app.Disabled || (cl.app.Protocol != storage.ProtocolOIDC && cl.app.Protocol != storage.ProtocolOAuth2) {
		return nil, errNoClient
	}
	return cl, nil
}

// checkSecret compares a presented secret with the current one and, while
// it lasts, the previous one, in constant time.
func (cl *client) checkSecret(presented string, now time.Time) bool {
	if len(cl.cred.SecretHash) == 0 || presented == "" {
		return false
	}
	h := secret.Hash(presented)
	ok := subtle.ConstantTimeCompare(cl.cred.SecretHash, h)
	prev := 0
	if len(cl.cred.PrevSecretHash) > 0 && now.Before(cl.cred.PrevValidUntil) {
		prev = subtle.ConstantTimeCompare(cl.cred.PrevSecretHash, h)
	}
	return ok|prev == 1
}
