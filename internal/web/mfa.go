package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// The second step of a sign-in to an application that requires MFA
// (docs/mfa.md): after the password (or, for a step-up, with a
// password-only session) the browser holds a pending sign-in, sealed in a
// cookie, and GET /api/v1/login/mfa shows the code form, or the enrolment
// page when the user has no authenticator yet. POST checks the code; the
// pending sign-in may try mfa.MaxAttempts codes (counted in the database,
// so a copied cookie gains nothing), then the user starts again.

const (
	mfaCookie         = "gh_mfa"
	mfaCookiePath     = "/api/v1/login"
	mfaPendingContext = "mfa-pending"
	// mfaPendingLifetime bounds the time between the password and the code.
	mfaPendingLifetime = 10 * time.Minute
	csrfMFA            = "login-mfa"
	mfaPath            = "/api/v1/login/mfa"
)

// pendingMFA is a sign-in waiting for its second factor.
type pendingMFA struct {
	TenantID     string `json:"t"`
	UserID       string `json:"u"`
	CredentialID string `json:"c"`
	// Base is the credential's attempt count when this sign-in began.
	Base int `json:"b"`
	// StepUp is the SID of the password-only session to raise; empty for
	// a new sign-in.
	StepUp    string `json:"s,omitempty"`
	ExpiresAt int64  `json:"e"`
}

// startMFA begins the second step for u and sends the browser to its page.
func (l *Login) startMFA(w http.ResponseWriter, r *http.Request, lrValue string, u *storage.User, stepUp string) {
	t := tenant.FromContext(r.Context())
	c, err := l.MFA.Confirmed(r.Context(), t.ID, u.ID)
	if err == nil && c == nil {
		c, err = l.MFA.StartEnrolment(r.Context(), t.ID, u.ID)
	}
	if err != nil {
		l.internalError(w, r, err)
		return
	}
	p := pendingMFA{TenantID: t.ID, UserID: u.ID, CredentialID: c.ID, Base: c.Attempts, StepUp: stepUp,
		ExpiresAt: l.Now().Add(mfaPendingLifetime).Unix()}
	js, _ := json.Marshal(p)
	http.SetCookie(w, &http.Cookie{Name: mfaCookie, Value: base64.RawURLEncoding.EncodeToString(l.Sealer.Seal(js, mfaPendingContext)),
		Path: mfaCookiePath, HttpOnly: true, Secure: l.Secure, SameSite: http.SameSiteLaxMode, MaxAge: int(mfaPendingLifetime / time.Second)})
	http.Redirect(w, r, mfaPath+"?lr="+lrValue, http.StatusSeeOther)
}

func (l *Login) pending(r *http.Request) *pendingMFA {
	ck, err := r.Cookie(mfaCookie)
	if err != nil || len(ck.Value) > 2048 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	js, err := l.Sealer.Open(raw, mfaPendingContext)
	if err != nil {
		return nil
	}
	var p pendingMFA
	if json.Unmarshal(js, &p) != nil || p.TenantID != tenant.FromContext(r.Context()).ID || l.Now().Unix() > p.ExpiresAt {
		return nil
	}
	return &p
}

func (l *Login) clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: mfaCookie, Value: "", Path: mfaCookiePath, MaxAge: -1, HttpOnly: true,
		Secure: l.Secure, SameSite: http.SameSiteLaxMode})
}

// MFAPage is GET /api/v1/login/mfa?lr=…: the code form or the enrolment page.
func (l *Login) MFAPage(w http.ResponseWriter, r *http.Request) {
	lrValue := r.URL.Query().Get("lr")
	lr, err := l.request(r, lrValue)
	if err != nil {
		l.message(w, r, http.StatusBadRequest, "This sign-in link is invalid or has expired.", "Go back to the application and start again.")
		return
	}
	p := l.pending(r)
	if p == nil {
		l.restart(w, r, lr, lrValue, "Your sign-in expired. Sign in again.")
		return
	}
	l.renderMFA(w, r, http.StatusOK, lr, lrValue, p, "")
}

func (l *Login) renderMFA(w http.ResponseWriter, r *http.Request, status int, lr *authn.LoginRequest, lrValue string, p *pendingMFA, msg string) {
	t := tenant.FromContext(r.Context())
	u, err := l.Store.Users().GetWithoutOrgs(r.Context(), t.ID, p.UserID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		l.clearPending(w)
		l.restart(w, r, lr, lrValue, "This account cannot sign in.")
		return
	}
	if err != nil {
		l.internalError(w, r, err)
		return
	}
	v := MFAView{View: View{Title: "Enter your code", TenantName: t.Name}, CSRF: l.CSRF.Token(w, r, csrfMFA),
		LoginRequest: lrValue, UserName: u.UserName, Error: msg}
	if lr != nil {
		v.AppName = lr.AppName
	}
	e, err := l.MFA.Show(r.Context(), t.ID, u.ID, p.CredentialID, t.Name, u.UserName)
	switch {
	case err == nil:
		v.Title, v.Enrol, v.Secret, v.URI = "Set up two-step verification", true, e.Secret, e.URI
	case errors.Is(err, mfa.ErrNoCredential):
		// Confirmed (the code form), or removed meanwhile: then the code
		// fails and the user starts again.
	default:
		l.internalError(w, r, err)
		return
	}
	l.Pages.Render(w, status, PageMFA, v, formOrigins(lr)...)
}

// MFASubmit is POST /api/v1/login/mfa: check the code, then start (or
// raise) the session and go back to the protocol that asked.
func (l *Login) MFASubmit(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	lr, lrValue, ok := l.postedForm(w, r, csrfMFA, "The form expired or came from another site.", "Reload the page and try again.")
	if !ok {
		return
	}
	p := l.pending(r)
	if p == nil {
		l.restart(w, r, lr, lrValue, "Your sign-in expired. Sign in again.")
		return
	}
	a := audit.Actor{SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
	err := l.MFA.Verify(r.Context(), t.ID, p.UserID, p.CredentialID, r.PostForm.Get("code"), p.Base, a)
	if err != nil {
		f, ok := failure.As(err)
		switch {
		case !ok:
			l.internalError(w, r, err)
		case f == mfa.ErrTooMany || f == mfa.ErrNoCredential:
			l.clearPending(w)
			l.restart(w, r, lr, lrValue, f.Message)
		default:
			l.renderMFA(w, r, http.StatusUnauthorized, lr, lrValue, p, f.Message)
		}
		return
	}
	l.clearPending(w)
	var cookie string
	if p.StepUp != "" {
		cookie, err = l.stepUp(r, p)
		if errors.Is(err, authn.ErrNoSession) {
			l.restart(w, r, lr, lrValue, "Your session ended. Sign in again.")
			return
		}
	} else {
		// A new session on every sign-in (see Submit).
		if old, cerr := r.Cookie(SessionCookie); cerr == nil {
			l.Sessions.End(r.Context(), t.ID, old.Value)
		}
		cookie, _, err = l.Sessions.Create(r.Context(), t.ID, p.UserID, mfa.MFAAMR(), mfa.ACRMFA)
	}
	if err != nil {
		l.internalError(w, r, err)
		return
	}
	l.setSession(w, cookie)
	next := "/"
	if lr != nil {
		next = lr.ReturnPath
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// stepUp raises the browser's session, which must still be the one the
// pending sign-in began with.
func (l *Login) stepUp(r *http.Request, p *pendingMFA) (string, error) {
	t := tenant.FromContext(r.Context())
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", authn.ErrNoSession
	}
	sess, err := l.Sessions.Lookup(r.Context(), t.ID, ck.Value)
	if err != nil {
		return "", err
	}
	if sess.SID != p.StepUp || sess.UserID != p.UserID {
		return "", authn.ErrNoSession
	}
	return l.Sessions.StepUp(r.Context(), t.ID, ck.Value, mfa.MFAAMR(), mfa.ACRMFA)
}

// restart shows the password form again, with why.
func (l *Login) restart(w http.ResponseWriter, r *http.Request, lr *authn.LoginRequest, lrValue, msg string) {
	t := tenant.FromContext(r.Context())
	v := LoginView{View: View{Title: "Sign in", TenantName: t.Name}, Error: msg, CSRF: l.CSRF.Token(w, r, csrfLogin), LoginRequest: lrValue}
	if lr != nil {
		v.AppName, v.UserName = lr.AppName, lr.LoginHint
	}
	l.Pages.Render(w, http.StatusUnauthorized, PageLogin, v, formOrigins(lr)...)
}

func (l *Login) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if l.Log != nil {
		l.Log.ErrorContext(r.Context(), "sign-in: internal error", "err", err, "request_id", reqinfo.From(r.Context()).ID)
	}
	l.message(w, r, http.StatusInternalServerError, "Something went wrong on our side.", "")
}
