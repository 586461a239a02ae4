package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// SessionCookie names the SSO session cookie: host-only, HttpOnly,
// SameSite=Lax (an application's redirect to /authorize is a cross-site
// top-level navigation that must carry it), Secure on https.
const SessionCookie = "gh_session"

// Login serves the sign-in page (GET /api/v1/login?lr=…) and its form
// (POST /api/v1/login/form, the path OneAccess's CAS documentation names).
type Login struct {
	Pages     *Pages
	CSRF      *CSRF
	Passwords *authn.Passwords
	Sessions  *authn.Sessions
	Sealer    *secret.Sealer
	// MFA and Store serve the second step of sign-ins that need it.
	MFA   *mfa.TOTP
	Store storage.Store
	Log   *slog.Logger
	Now   func() time.Time
	// Secure sets the Secure flag on cookies.
	Secure bool
}

const csrfLogin = "login"

// Page is GET /api/v1/login.
func (l *Login) Page(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	lr, err := l.request(r, r.URL.Query().Get("lr"))
	if err != nil {
		l.message(w, r, http.StatusBadRequest, "This sign-in link is invalid or has expired.", "Go back to the application and start again.")
		return
	}
	// Step-up: the session the protocol found, made with the password
	// only, needs just the second factor.
	if lr != nil && lr.StepUp != "" {
		sess, u, err := CurrentUserWithoutOrgs(r, l.Sessions, l.Store, t.ID)
		if err != nil {
			l.internalError(w, r, err)
			return
		}
		if sess != nil && sess.SID == lr.StepUp {
			l.startMFA(w, r, r.URL.Query().Get("lr"), u, sess.SID)
			return
		}
	}
	v := LoginView{View: View{Title: "Sign in", TenantName: t.Name}, CSRF: l.CSRF.Token(w, r, csrfLogin),
		LoginRequest: r.URL.Query().Get("lr")}
	if lr != nil {
		v.AppName, v.UserName = lr.AppName, lr.LoginHint
	}
	l.Pages.Render(w, http.StatusOK, PageLogin, v, formOrigins(lr)...)
}

// request opens the sealed login request; an empty one is allowed (a
// plain sign-in, landing on the portal).
func (l *Login) request(r *http.Request, v string) (*authn.LoginRequest, error) {
	if v == "" {
		return nil, nil
	}
	return authn.OpenLoginRequest(l.Sealer, v, tenant.FromContext(r.Context()).ID, l.Now())
}

func formOrigins(lr *authn.LoginRequest) []string {
	if lr == nil {
		return nil
	}
	return lr.FormOrigins
}

// postedForm reads the POST of a sign-in page (password or code): the
// form, its sealed sign-in request and its CSRF token for purpose. On any
// fault it answers, with expired and reload when the CSRF token fails, and
// returns ok false.
func (l *Login) postedForm(w http.ResponseWriter, r *http.Request, purpose, expired, reload string) (lr *authn.LoginRequest, lrValue string, ok bool) {
	if err := r.ParseForm(); err != nil {
		l.message(w, r, http.StatusBadRequest, "The form could not be read.", "")
		return nil, "", false
	}
	lrValue = r.PostForm.Get("lr")
	lr, err := l.request(r, lrValue)
	if err != nil {
		l.message(w, r, http.StatusBadRequest, "This sign-in link is invalid or has expired.", "Go back to the application and start again.")
		return nil, "", false
	}
	if !l.CSRF.Check(r, purpose, r.PostForm.Get("csrf")) {
		l.message(w, r, http.StatusForbidden, expired, reload)
		return nil, "", false
	}
	return lr, lrValue, true
}

// Submit is POST /api/v1/login/form: check the CSRF token and the
// password, start the session, go back to the protocol that asked.
func (l *Login) Submit(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	lr, lrValue, ok := l.postedForm(w, r, csrfLogin, "The sign-in form expired or came from another site.", "Reload the sign-in page and try again.")
	if !ok {
		return
	}
	name := r.PostForm.Get("username")
	a := audit.Actor{Type: audit.ActorUser, SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
	u, err := l.Passwords.Authenticate(r.Context(), t.ID, name, r.PostForm.Get("password"), a)
	if err != nil {
		f, ok := failure.As(err)
		if !ok {
			l.message(w, r, http.StatusInternalServerError, "Something went wrong on our side.", "")
			return
		}
		v := LoginView{View: View{Title: "Sign in", TenantName: t.Name}, Error: f.Message,
			CSRF: l.CSRF.Token(w, r, csrfLogin), LoginRequest: lrValue, UserName: name}
		if lr != nil {
			v.AppName = lr.AppName
		}
		l.Pages.Render(w, http.StatusUnauthorized, PageLogin, v, formOrigins(lr)...)
		return
	}
	// An application that requires MFA: the code comes before any session.
	if lr != nil && lr.MFA {
		l.startMFA(w, r, lrValue, u, "")
		return
	}
	// A new session on every sign-in: a session id fixed before sign-in
	// (by an attacker) is never promoted.
	if old, err := r.Cookie(SessionCookie); err == nil {
		l.Sessions.End(r.Context(), t.ID, old.Value)
	}
	cookie, _, err := l.Sessions.Create(r.Context(), t.ID, u.ID, []string{mfa.AMRPassword}, mfa.ACRPassword)
	if err != nil {
		l.message(w, r, http.StatusInternalServerError, "Something went wrong on our side.", "")
		return
	}
	l.setSession(w, cookie)
	next := "/"
	if lr != nil {
		next = lr.ReturnPath
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (l *Login) message(w http.ResponseWriter, r *http.Request, status int, msg, detail string) {
	t := tenant.FromContext(r.Context())
	l.Pages.Render(w, status, PageMessage, MessageView{View: View{Title: "Sign in", TenantName: t.Name},
		Message: msg, Detail: detail, IsError: true, RequestID: reqinfo.From(r.Context()).ID})
}

func (l *Login) setSession(w http.ResponseWriter, cookie string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: cookie, Path: "/", HttpOnly: true,
		Secure: l.Secure, SameSite: http.SameSiteLaxMode})
}
