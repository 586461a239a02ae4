package apps

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/gatehouse/gatehouse/internal/opt"
)

// FormFillSettings are a form_fill application's settings, its
// "form_fill" object (OneAccess's "plug-in autocompletion", without a
// plug-in): the legacy login form Gatehouse fills and posts for the user.
type FormFillSettings struct {
	// LoginURL is the application's sign-in page (shown to users who
	// launch without stored credentials, and where detection reads the form).
	LoginURL string `json:"login_url"`
	// ActionURL is where the form posts; the credentials go nowhere else.
	ActionURL string `json:"action_url"`
	// Method is POST (default) or GET.
	Method        string `json:"method"`
	UsernameField string `json:"username_field"`
	PasswordField string `json:"password_field"`
	// ExtraFields are fixed fields the form also sends (hidden inputs).
	ExtraFields map[string]string `json:"extra_fields"`
	// UserSetsCredentials lets a user enter the account's credentials on
	// first launch (otherwise only an administrator sets them).
	UserSetsCredentials bool `json:"user_sets_credentials"`
}

// FormFillWrite is the "form_fill" object of AppWrite.
type FormFillWrite struct {
	LoginURL            opt.String                   `json:"login_url"`
	ActionURL           opt.String                   `json:"action_url"`
	Method              opt.String                   `json:"method"`
	UsernameField       opt.String                   `json:"username_field"`
	PasswordField       opt.String                   `json:"password_field"`
	ExtraFields         opt.Value[map[string]string] `json:"extra_fields"`
	UserSetsCredentials opt.Bool                     `json:"user_sets_credentials"`
}

// DefaultFormFillSettings are a new form_fill application's settings.
func DefaultFormFillSettings() FormFillSettings {
	return FormFillSettings{Method: "POST", UsernameField: "username", PasswordField: "password", ExtraFields: map[string]string{},
		UserSetsCredentials: true}
}

func (w *FormFillWrite) apply(s *FormFillSettings) {
	// An action URL that defaulted to the login URL follows it.
	if w.LoginURL.Set && !w.ActionURL.Set && s.ActionURL == s.LoginURL {
		s.ActionURL = ""
	}
	for _, f := range []struct {
		dst *string
		v   opt.String
	}{{&s.LoginURL, w.LoginURL}, {&s.ActionURL, w.ActionURL}, {&s.Method, w.Method}, {&s.UsernameField, w.UsernameField}, {&s.PasswordField, w.PasswordField}} {
		if f.v.Set {
			*f.dst = f.v.V
		}
	}
	if w.ExtraFields.Set {
		s.ExtraFields = map[string]string{}
		for k, v := range w.ExtraFields.V {
			s.ExtraFields[k] = v
		}
	}
	if w.UserSetsCredentials.Set {
		s.UserSetsCredentials = w.UserSetsCredentials.V
	}
}

var fieldNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:\[\]-]{1,128}$`)

func (s *FormFillSettings) validate() error {
	for _, f := range []struct {
		field, v string
		need     bool
	}{{"form_fill.login_url", s.LoginURL, true}, {"form_fill.action_url", s.ActionURL, false}} {
		if f.v == "" && !f.need {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" || len(f.v) > 2048 {
			return appInvalid("APP.0033", f.field, "The %s must be an absolute http(s) URL without user info or fragment.", f.field)
		}
	}
	if s.ActionURL == "" {
		s.ActionURL = s.LoginURL
	}
	s.Method = strings.ToUpper(s.Method)
	if s.Method != "POST" && s.Method != "GET" {
		return appInvalid("APP.0034", "form_fill.method", "The form_fill.method must be POST or GET.")
	}
	if !fieldNameRE.MatchString(s.UsernameField) || !fieldNameRE.MatchString(s.PasswordField) || s.UsernameField == s.PasswordField {
		return appInvalid("APP.0035", "form_fill.username_field", "The form field names must be 1-128 characters (letters, digits, _ . : [ ] -) and differ.")
	}
	if len(s.ExtraFields) > 20 {
		return appInvalid("APP.0035", "form_fill.extra_fields", "The form_fill.extra_fields may hold at most 20 fields.")
	}
	for k, v := range s.ExtraFields {
		if !fieldNameRE.MatchString(k) || k == s.UsernameField || k == s.PasswordField || len(v) > 1024 {
			return appInvalid("APP.0035", "form_fill.extra_fields", "The extra field %q must have a valid name other than the credential fields, and a value of at most 1024 bytes.", truncate(k, 64))
		}
	}
	if s.ExtraFields == nil {
		s.ExtraFields = map[string]string{}
	}
	return nil
}

// ActionOrigin is the only origin the filled form may go to.
func (s *FormFillSettings) ActionOrigin() string {
	u, err := url.Parse(s.ActionURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
