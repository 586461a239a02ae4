package mgmt

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

type clientKey struct{}

func withClient(ctx context.Context, cl *storage.APIClient) context.Context {
	return context.WithValue(ctx, clientKey{}, cl)
}

// actor is the audit actor of an authenticated management call.
func actor(r *http.Request) audit.Actor {
	a := audit.Actor{Type: audit.ActorAPIClient, SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
	if cl, ok := r.Context().Value(clientKey{}).(*storage.APIClient); ok {
		a.ID = cl.ClientID
	}
	return a
}

// authenticate checks the bearer token against the request's tenant and
// the route's permission (RFC 6750 section 2.1: "Bearer" is
// case-insensitive).
func (a *API) authenticate(r *http.Request, perm string) (*storage.APIClient, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" {
		return nil, errNoToken
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errBadToken
	}
	cl, err := a.Clients.AuthenticateToken(r.Context(), tenant.FromContext(r.Context()).ID, strings.TrimSpace(token))
	if err != nil {
		var f *failure.Failure
		if errors.As(err, &f) {
			return nil, errBadToken
		}
		return nil, err
	}
	if perm == permSystem {
		if !apps.IsSuperAdmin(cl) {
			return nil, errDenied
		}
	} else if !apps.Allows(cl.Permissions, perm) {
		return nil, errDenied
	}
	return cl, nil
}
