package apps

import (
	"slices"

	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// LoginSettings are an application's "login" object: how users sign in to
// it. Methods are the first factors allowed (only "password" so far);
// MFA is "off" (the default: today's behaviour) or "required" (a second
// factor, TOTP, on top of the first; a password-only SSO session is
// stepped up before the application gets a token, ticket or assertion).
type LoginSettings struct {
	Methods []string `json:"methods"`
	MFA     string   `json:"mfa"`
}

// LoginWrite is the "login" object of AppWrite; omitted fields keep
// their value.
type LoginWrite struct {
	Methods opt.Value[[]string] `json:"methods"`
	MFA     opt.String          `json:"mfa"`
}

var (
	loginMethods = []string{storage.LoginPassword}
	mfaPolicies  = []string{storage.MFAOff, storage.MFARequired}
)

// Login returns a's login settings, the defaults filled in.
func Login(a *storage.Application) LoginSettings {
	out := LoginSettings{Methods: a.LoginMethods, MFA: a.MFA}
	if len(out.Methods) == 0 {
		out.Methods = []string{storage.LoginPassword}
	}
	if out.MFA == "" {
		out.MFA = storage.MFAOff
	}
	return out
}

// applyLogin checks and copies the "login" object onto a.
func applyLogin(a *storage.Application, w *AppWrite) error {
	if !w.Login.Set || w.Login.Null {
		return nil
	}
	l := w.Login.V
	if l.MFA.Set {
		if !slices.Contains(mfaPolicies, l.MFA.V) {
			return appInvalid("APP.0064", "login.mfa", "The login.mfa must be off or required.")
		}
		a.MFA = l.MFA.V
	}
	if l.Methods.Set {
		if l.Methods.Null || len(l.Methods.V) == 0 {
			return appInvalid("APP.0065", "login.methods", "The login.methods must name at least one method: password.")
		}
		methods := []string{}
		for _, m := range l.Methods.V {
			if !slices.Contains(loginMethods, m) {
				return appInvalid("APP.0065", "login.methods", "The login.methods may contain only password.")
			}
			if !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
		a.LoginMethods = methods
	}
	return nil
}
