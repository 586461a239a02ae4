package mfa

import (
	"slices"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// Authentication method references (RFC 8176) and levels a session
// records.
const (
	AMRPassword = "pwd"
	AMROTP      = "otp"
	// AMRMFA says that more than one factor was used (RFC 8176 section 2).
	AMRMFA = "mfa"

	// ACRPassword and ACRMFA are the sessions' acr values: "1" for one
	// factor (as before MFA), "2" with a second factor.
	ACRPassword = "1"
	ACRMFA      = "2"
)

// MFAAMR are the methods of a session made with the password and a TOTP
// code.
func MFAAMR() []string { return []string{AMRPassword, AMROTP, AMRMFA} }

// NeedsSecondFactor is the one rule every protocol (OIDC authorize, CAS
// login, SAML SSO, form-fill launch) asks before it answers with a live
// session: app requires MFA and the session was made without a second
// factor. The user is then asked for a code (step-up), never the
// application answered.
func NeedsSecondFactor(app *storage.Application, sess *storage.Session) bool {
	return app.MFA == storage.MFARequired && sess != nil && !HasSecondFactor(sess)
}

// HasSecondFactor reports whether sess was made (or raised) with a second
// factor: its acr is ACRMFA.
func HasSecondFactor(sess *storage.Session) bool {
	return slices.Contains(sess.AMR, AMRMFA)
}
