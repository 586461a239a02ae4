package cas

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// loginRequest is a CAS login waiting for sign-in, sealed into the URL.
type loginRequest struct {
	TenantID  string `json:"t"`
	Service   string `json:"s"`
	Renew     bool   `json:"r,omitempty"`
	CreatedAt int64  `json:"c"`
}

const loginContext = "cas-login"

var b64 = base64.RawURLEncoding

// login is /api/v1/cas/login (CAS protocol section 2.1): with a session
// (and no renew) it sends the browser to the service with a service
// ticket; without one it shows the sign-in page, or with gateway=true
// returns to the service without a ticket.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	service := q.Get("service")
	t := tenant.FromContext(r.Context())
	if service == "" {
		// No service: a plain sign-in at Gatehouse.
		http.Redirect(w, r, "/api/v1/login", http.StatusFound)
		return
	}
	app, err := s.appFor(r.Context(), t.ID, service)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if app == nil {
		s.errorPage(w, r, http.StatusBadRequest, "The service is not registered for single sign-on with this server.")
		return
	}
	lr := &loginRequest{TenantID: t.ID, Service: service, Renew: q.Get("renew") == "true", CreatedAt: s.Now().UnixMilli()}
	s.proceed(w, r, app, lr, false, q.Get("gateway") == "true")
}

// resume is where the sign-in page returns a CAS login.
func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	lr, ok := s.openRequest(r.URL.Query().Get("cr"), t.ID)
	if !ok {
		s.errorPage(w, r, http.StatusBadRequest, "This sign-in link is invalid or has expired. Go back to the application and start again.")
		return
	}
	app, err := s.appFor(r.Context(), t.ID, lr.Service)
	if err != nil || app == nil {
		s.errorPage(w, r, http.StatusBadRequest, "The service is not registered for single sign-on with this server.")
		return
	}
	s.proceed(w, r, app, lr, true, false)
}

func (s *Server) proceed(w http.ResponseWriter, r *http.Request, app *apps.App, lr *loginRequest, resumed, gateway bool) {
	// The memberships are read only when the access decision reads them
	// (a query fewer on most sign-ins).
	orgs := apps.NeedsOrgs(&app.Application)
	now := s.Now()
	ticket := "ST-" + idgen.Alnum(ticketRandom)
	st := &storage.CASTicket{TenantID: lr.TenantID, Hash: secret.Hash(ticket), Kind: storage.TicketService,
		ApplicationID: app.ID, Service: lr.Service, CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(app.CAS.TicketLifetime) * time.Second)}
	sess, u, stored, err := s.current(r, orgs, st, lr)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if stored {
		// Stored with the session's read; deleted unless handed out.
		defer func() {
			if st != nil {
				s.Store.CASTickets().Delete(context.WithoutCancel(r.Context()), st.TenantID, st.Hash)
			}
		}()
	}
	// renew: only a sign-in made for this request counts.
	if sess == nil || (lr.Renew && sess.AuthTime.UnixMilli() < lr.CreatedAt) {
		switch {
		case gateway && !lr.Renew:
			http.Redirect(w, r, lr.Service, http.StatusFound) // CAS gateway: back without a ticket
		case resumed:
			s.errorPage(w, r, http.StatusBadRequest, "Signing in did not start a session. Allow cookies for this site and try again.")
		default:
			s.toLogin(w, r, app, lr, nil)
		}
		return
	}
	if web.NeedsSecondFactor(&app.Application, sess) {
		if gateway && !lr.Renew {
			http.Redirect(w, r, lr.Service, http.StatusFound) // no interaction: back without a ticket
			return
		}
		s.toLogin(w, r, app, lr, sess)
		return
	}
	// Only the decision is needed here (validation builds the grant), so
	// no claim mappings: CheckAccess then reads the account only when the
	// policy does.
	_, err = apps.CheckAccess(r.Context(), s.Store, &app.Application, nil, u)
	if f, ok := failure.As(err); ok {
		a := audit.Actor{Type: audit.ActorUser, ID: u.ID, SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
		if aerr := s.Store.Audit().Append(r.Context(), s.Audit.Event(lr.TenantID, a, "application.access",
			audit.Target{Type: "application", ID: app.ID}, storage.ResultFailure, f.Code)); aerr != nil {
			s.Log.ErrorContext(r.Context(), "audit: cannot record a refused sign-in", "err", aerr)
		}
		s.errorPage(w, r, http.StatusForbidden, f.Message+" Ask your administrator for access to "+app.Name+".")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !stored {
		st.UserID, st.SID, st.AuthTime, st.NewLogin = u.ID, sess.SID, sess.AuthTime, sess.AuthTime.UnixMilli() >= lr.CreatedAt
		if err := s.Store.CASTickets().Create(r.Context(), st); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	st = nil // handed out
	http.Redirect(w, r, withParam(lr.Service, "ticket", ticket), http.StatusFound)
}

// current reads the browser's session and its user. Without renew (the
// usual case: an application opened by a signed-in user) it also stores
// st for the session in the same round trip, ahead of the checks that
// follow: stored says so, and the caller deletes st unless it hands it
// out. With renew the session is read alone: a new sign-in is expected.
func (s *Server) current(r *http.Request, orgs bool, st *storage.CASTicket, lr *loginRequest) (*storage.Session, *storage.User, bool, error) {
	if !lr.Renew {
		return web.CurrentUserWithTicket(r, s.Sessions, orgs, st, time.UnixMilli(lr.CreatedAt))
	}
	current := web.CurrentUserWithoutOrgs
	if orgs {
		current = web.CurrentUser
	}
	sess, u, err := current(r, s.Sessions, s.Store, lr.TenantID)
	return sess, u, false, err
}

// toLogin sends the browser to the sign-in page; with stepUp, only for
// the second factor the application requires and that session lacks.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request, app *apps.App, lr *loginRequest, stepUp *storage.Session) {
	js, _ := json.Marshal(lr)
	ret := "/api/v1/cas/login/resume?cr=" + b64.EncodeToString(s.Sealer.Seal(js, loginContext))
	l := &authn.LoginRequest{TenantID: lr.TenantID, ReturnPath: ret, AppName: app.Name,
		FormOrigins: []string{originOf(lr.Service)}, ExpiresAt: s.Now().Add(authn.LoginRequestLifetime).Unix()}
	web.ToSignIn(w, r, s.Sealer, l, &app.Application, stepUp)
}

func (s *Server) openRequest(v, tenantID string) (*loginRequest, bool) {
	raw, err := b64.DecodeString(v)
	if err != nil || len(v) > 16<<10 {
		return nil, false
	}
	js, err := s.Sealer.Open(raw, loginContext)
	if err != nil {
		return nil, false
	}
	var lr loginRequest
	if json.Unmarshal(js, &lr) != nil || lr.TenantID != tenantID || s.Now().UnixMilli()-lr.CreatedAt > authn.LoginRequestLifetime.Milliseconds() {
		return nil, false
	}
	return &lr, true
}

// withParam appends one query parameter to a URL that may have a query.
func withParam(u, k, v string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + url.QueryEscape(k) + "=" + url.QueryEscape(v)
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.Pages.Error(w, r, status, "Sign-in error", msg)
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.Pages.InternalError(w, r, s.Log, "cas", err)
}
