package web

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// NeedsSecondFactor is mfa.NeedsSecondFactor, the one rule every
// protocol's session path asks after it found a live session: the
// application requires MFA and the session has no second factor. The
// protocol then sends the browser to ToSignIn with that session (never
// answering the application), or, for a request that allows no
// interaction (prompt=none, IsPassive, CAS gateway), answers as if there
// were no session.
func NeedsSecondFactor(app *storage.Application, sess *storage.Session) bool {
	return mfa.NeedsSecondFactor(app, sess)
}

// ToSignIn sends the browser to the sign-in page with lr, marked for app's
// MFA policy (lr.MFA already set stays: a request may ask for a second
// factor itself, as OIDC acr_values=2 does). With stepUp (a live session
// lacking the second factor the application or request requires), the
// page asks only for the code.
func ToSignIn(w http.ResponseWriter, r *http.Request, s *secret.Sealer, lr *authn.LoginRequest, app *storage.Application, stepUp *storage.Session) {
	lr.MFA = lr.MFA || app.MFA == storage.MFARequired
	if stepUp != nil {
		lr.StepUp = stepUp.SID
	}
	http.Redirect(w, r, "/api/v1/login?lr="+authn.SealLoginRequest(s, lr), http.StatusFound)
}
