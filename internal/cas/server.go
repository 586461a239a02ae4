package cas

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/backchannel"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/web"
)

// Server is the CAS server of every tenant.
type Server struct {
	Store    storage.Store
	Apps     *apps.Applications
	Sessions *authn.Sessions
	Sealer   *secret.Sealer
	Audit    *audit.Recorder
	Pages    *web.Pages
	Log      *slog.Logger
	Now      func() time.Time
	// SecureCookies sets the Secure flag on cookies (https deployments).
	SecureCookies bool
	// Client calls proxy callbacks (pgtUrl); its timeout bounds them.
	Client *http.Client
	// AfterLogout, when set, is called by /logout once it has ended the
	// browser's SSO session sid, with next, the registered service to
	// return to ("" for the signed-out page); it returns true when it has
	// taken over the response (the wiring sends the browser through the
	// session's SAML service providers first, as OIDC logout does).
	AfterLogout func(w http.ResponseWriter, r *http.Request, tenantID, sid, next string) bool
	// Notices sends the back-channel logout requests (SingleLogout); nil:
	// none are sent.
	Notices *backchannel.Sender
	// OnSessionEnd, when set, is called when /logout ends the SSO session
	// sid, to tell every protocol's applications (the wiring calls
	// SingleLogout from it); unset, /logout calls SingleLogout itself.
	OnSessionEnd func(ctx context.Context, tenantID, sid string)

	services serviceCache
}

// Routes lists the CAS endpoints.
func (s *Server) Routes() []web.Route {
	return []web.Route{
		{Pattern: "GET /api/v1/cas/login", Handler: s.login},
		{Pattern: "GET /api/v1/cas/login/resume", Handler: s.resume},
		{Pattern: "GET /api/v1/cas/logout", Handler: s.logout},
		{Pattern: "GET /api/v1/cas/validate", Handler: s.validate1},
		{Pattern: "GET /api/v1/cas/serviceValidate", Handler: s.serviceValidate},
		{Pattern: "GET /api/v1/cas/proxyValidate", Handler: s.proxyValidate},
		{Pattern: "GET /api/v1/cas/p3/serviceValidate", Handler: s.serviceValidate3},
		{Pattern: "GET /api/v1/cas/p3/proxyValidate", Handler: s.proxyValidate3},
		{Pattern: "GET /api/v1/cas/proxy", Handler: s.proxy},
		{Pattern: "POST /api/v1/cas/samlValidate", Handler: s.samlValidate},
	}
}

// ApplicationChanged drops a tenant's cached CAS applications.
func (s *Server) ApplicationChanged(tenantID, _ string) { s.services.forget(tenantID) }

// serviceCache keeps each tenant's enabled cas applications, to map a
// service URL to its application without reading every application.
type serviceCache struct {
	mu sync.Mutex
	m  map[string]cachedApps
}

type cachedApps struct {
	apps   []*apps.App
	loaded time.Time
}

const serviceCacheTTL = 2 * time.Second

// ticketRandom is the random part of service and proxy tickets. With the
// "ST-" or "PT-" prefix a ticket is 32 characters, the longest every CAS
// client must accept (CAS protocol 3.0 sections 3.1.1 and 3.2.1); 29
// characters of [A-Za-z0-9] still carry 172 bits.
const ticketRandom = 29

func (c *serviceCache) forget(tenantID string) {
	c.mu.Lock()
	delete(c.m, tenantID)
	c.mu.Unlock()
}

// casApps returns the tenant's enabled cas applications, from the cache
// when it is fresh.
func (s *Server) casApps(ctx context.Context, tenantID string) ([]*apps.App, error) {
	now := s.Now()
	s.services.mu.Lock()
	c, ok := s.services.m[tenantID]
	s.services.mu.Unlock()
	if ok && now.Sub(c.loaded) < serviceCacheTTL {
		return c.apps, nil
	}
	var list []*apps.App
	for offset := 0; ; offset += 100 {
		page, total, err := s.Apps.List(ctx, tenantID, offset, 100)
		if err != nil {
			return nil, err
		}
		for _, a := range page {
			if a.Protocol == storage.ProtocolCAS && !a.Disabled {
				list = append(list, a)
			}
		}
		if offset+100 >= total {
			break
		}
	}
	s.services.mu.Lock()
	if s.services.m == nil {
		s.services.m = map[string]cachedApps{}
	}
	s.services.m[tenantID] = cachedApps{apps: list, loaded: now}
	s.services.mu.Unlock()
	return list, nil
}

// appByID returns the enabled cas application id, or nil.
func (s *Server) appByID(ctx context.Context, tenantID, id string) (*apps.App, error) {
	list, err := s.casApps(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if a.ID == id {
			return a, nil
		}
	}
	return nil, nil
}

// appFor returns the enabled cas application whose service patterns match
// service, the most specific (longest pattern) when several do.
func (s *Server) appFor(ctx context.Context, tenantID, service string) (*apps.App, error) {
	list, err := s.casApps(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var best *apps.App
	bestLen := -1
	for _, a := range list {
		for _, p := range a.CAS.ServicePatterns {
			if matches(p, service) && len(p) > bestLen {
				best, bestLen = a, len(p)
			}
		}
	}
	return best, nil
}

func matches(pattern, service string) bool {
	s := apps.CASSettings{ServicePatterns: []string{pattern}}
	return s.MatchService(service)
}

// loginRequestFor builds the sealed resume path for a CAS login.
func originOf(service string) string {
	i := strings.Index(service, "://")
	if i < 0 {
		return ""
	}
	rest := service[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return service[:i+3] + rest
}
