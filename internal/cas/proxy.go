package cas

import (
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// proxy is /api/v1/cas/proxy?pgt=&targetService= (CAS protocol section
// 2.7): a proxy-granting ticket buys a proxy ticket for another
// registered service; the proxy chain travels with it. The application
// the PGT was issued to must still be enabled and still list the PGT's
// callback among its proxy callbacks.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := format(q)
	pgt, target := q.Get("pgt"), q.Get("targetService")
	if pgt == "" || target == "" {
		writeFailure(w, f, "proxyFailure", &casError{InvalidRequest, "The pgt and targetService parameters are both required."})
		return
	}
	t := tenant.FromContext(r.Context())
	now := s.Now()
	g, err := s.Store.CASTickets().Get(r.Context(), t.ID, secret.Hash(pgt))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (g.Kind != storage.TicketProxyGranting || !now.Before(g.ExpiresAt))) {
		writeFailure(w, f, "proxyFailure", &casError{InvalidTicket, "The proxy-granting ticket is not recognized."})
		return
	}
	if err != nil {
		s.Log.ErrorContext(r.Context(), "cas: proxy", "err", err)
		writeFailure(w, f, "proxyFailure", &casError{InternalError, "Internal error."})
		return
	}
	from, err := s.appByID(r.Context(), t.ID, g.ApplicationID)
	if err != nil {
		s.Log.ErrorContext(r.Context(), "cas: proxy", "err", err)
		writeFailure(w, f, "proxyFailure", &casError{InternalError, "Internal error."})
		return
	}
	if from == nil || !from.CAS.MatchProxyCallback(g.Service) {
		writeFailure(w, f, "proxyFailure", &casError{UnauthorizedProxy, "The application of the proxy-granting ticket may no longer proxy."})
		return
	}
	app, err := s.appFor(r.Context(), t.ID, target)
	if err != nil || app == nil {
		writeFailure(w, f, "proxyFailure", &casError{UnauthorizedProxy, "The targetService is not a registered service."})
		return
	}
	pt := "PT-" + idgen.Alnum(ticketRandom)
	err = s.Store.CASTickets().Create(r.Context(), &storage.CASTicket{TenantID: t.ID, Hash: secret.Hash(pt), Kind: storage.TicketProxy,
		ApplicationID: app.ID, Service: target, UserID: g.UserID, SID: g.SID, AuthTime: g.AuthTime,
		Proxies: append([]string{g.Service}, g.Proxies...), PGTHash: g.Hash, CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(app.CAS.TicketLifetime) * time.Second)})
	if err != nil {
		s.Log.ErrorContext(r.Context(), "cas: store proxy ticket", "err", err)
		writeFailure(w, f, "proxyFailure", &casError{InternalError, "Internal error."})
		return
	}
	writeProxySuccess(w, f, pt)
}
