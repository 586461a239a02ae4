package apps

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/opt"
)

// CASSettings are a cas application's settings, its "cas" object.
type CASSettings struct {
	// ServicePatterns are the service URLs the application answers: an
	// exact URL, or a prefix ending in "*" (https://app.example.com/*).
	ServicePatterns []string `json:"service_patterns"`
	// UserAttribute is what <cas:user> holds: user_name (default), email,
	// mobile, employee_id, or account_name (the user's account in the
	// application).
	UserAttribute string `json:"user_attribute"`
	// ProxyCallbackPatterns are the pgtUrl callbacks that may receive
	// proxy-granting tickets (https only); empty: proxying is off.
	ProxyCallbackPatterns []string `json:"proxy_callback_patterns"`
	// TicketLifetime is a service ticket's life in seconds (default 30).
	TicketLifetime int `json:"ticket_lifetime"`
	// LogoutType is how the application hears of the end of an SSO
	// session that got one of its service tickets validated: none
	// (default), or back_channel (a CAS logoutRequest POSTed by the
	// server, CAS protocol 2.3.3).
	LogoutType string `json:"logout_type"`
	// LogoutURL receives back-channel logout requests; "" means the
	// service URL the ticket was issued for.
	LogoutURL string `json:"logout_url"`
}

// CAS logout types.
const (
	CASLogoutNone        = "none"
	CASLogoutBackChannel = "back_channel"
)

// CASWrite is the "cas" object of AppWrite.
type CASWrite struct {
	ServicePatterns       opt.Value[[]string] `json:"service_patterns"`
	UserAttribute         opt.String          `json:"user_attribute"`
	ProxyCallbackPatterns opt.Value[[]string] `json:"proxy_callback_patterns"`
	TicketLifetime        opt.Value[int]      `json:"ticket_lifetime"`
	LogoutType            opt.String          `json:"logout_type"`
	LogoutURL             opt.String          `json:"logout_url"`
}

// DefaultCASSettings are a new cas application's settings.
func DefaultCASSettings() CASSettings {
	return CASSettings{ServicePatterns: []string{}, UserAttribute: "user_name", ProxyCallbackPatterns: []string{}, TicketLifetime: 30,
		LogoutType: CASLogoutNone}
}

var casUserAttributes = []string{"user_name", "email", "mobile", "employee_id", "account_name"}

func (w *CASWrite) apply(s *CASSettings) {
	if w.ServicePatterns.Set {
		s.ServicePatterns = append([]string{}, w.ServicePatterns.V...)
	}
	if w.UserAttribute.Set {
		s.UserAttribute = w.UserAttribute.V
	}
	if w.ProxyCallbackPatterns.Set {
		s.ProxyCallbackPatterns = append([]string{}, w.ProxyCallbackPatterns.V...)
	}
	if w.TicketLifetime.Set && !w.TicketLifetime.Null {
		s.TicketLifetime = w.TicketLifetime.V
	}
	if w.LogoutType.Set {
		s.LogoutType = w.LogoutType.V
	}
	if w.LogoutURL.Set {
		s.LogoutURL = w.LogoutURL.V
	}
}

func (s *CASSettings) validate() error {
	if len(s.ServicePatterns) == 0 || len(s.ServicePatterns) > 20 {
		return appInvalid("APP.0030", "cas.service_patterns", "The cas.service_patterns must hold 1 to 20 service URLs.")
	}
	if len(s.ProxyCallbackPatterns) > 20 {
		return appInvalid("APP.0030", "cas.proxy_callback_patterns", "The cas.proxy_callback_patterns may hold at most 20 URLs.")
	}
	for _, list := range []struct {
		field     string
		patterns  []string
		httpsOnly bool
	}{{"cas.service_patterns", s.ServicePatterns, false}, {"cas.proxy_callback_patterns", s.ProxyCallbackPatterns, true}} {
		for _, p := range list.patterns {
			u, err := url.Parse(strings.TrimSuffix(p, "*"))
			if err != nil || u.Host == "" || (u.Scheme != "https" && (list.httpsOnly || u.Scheme != "http")) || u.Fragment != "" ||
				u.User != nil || len(p) > 2048 || strings.Count(p, "*") > 1 || (strings.Contains(p, "*") && !strings.HasSuffix(p, "*")) {
				return appInvalid("APP.0030", list.field, "The %s entry %q must be an absolute URL%s, optionally ending in * for a prefix.",
					list.field, truncate(p, 100), map[bool]string{true: " on https", false: ""}[list.httpsOnly])
			}
			if strings.HasSuffix(p, "*") && u.Path == "" {
				return appInvalid("APP.0030", list.field, "The %s entry %q needs a path before its * (at least \"/\"), so that it cannot match another host.", list.field, truncate(p, 100))
			}
		}
	}
	if !slices.Contains(casUserAttributes, s.UserAttribute) {
		return appInvalid("APP.0031", "cas.user_attribute", "The cas.user_attribute must be one of %s.", strings.Join(casUserAttributes, ", "))
	}
	if s.TicketLifetime < 5 || s.TicketLifetime > 300 {
		return appInvalid("APP.0032", "cas.ticket_lifetime", "The cas.ticket_lifetime must be 5 to 300 seconds.")
	}
	if s.LogoutType != CASLogoutNone && s.LogoutType != CASLogoutBackChannel {
		return appInvalid("APP.0066", "cas.logout_type", "The cas.logout_type must be none or back_channel.")
	}
	if s.LogoutURL != "" {
		u, err := url.Parse(s.LogoutURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.Fragment != "" || u.User != nil || len(s.LogoutURL) > 2048 {
			return appInvalid("APP.0067", "cas.logout_url", "The cas.logout_url must be an absolute http or https URL without user info or fragment, at most 2048 characters.")
		}
	}
	return nil
}

// LogoutTarget is where a back-channel logout request for a ticket issued
// to service goes: the logout_url, else the service itself.
func (s *CASSettings) LogoutTarget(service string) string {
	if s.LogoutURL != "" {
		return s.LogoutURL
	}
	return service
}

// MatchService reports whether service is one the application answers.
func (s *CASSettings) MatchService(service string) bool {
	return matchPatterns(s.ServicePatterns, service)
}

// MatchProxyCallback reports whether pgtUrl may receive proxy tickets.
func (s *CASSettings) MatchProxyCallback(pgtURL string) bool {
	return strings.HasPrefix(pgtURL, "https://") && matchPatterns(s.ProxyCallbackPatterns, pgtURL)
}

func matchPatterns(patterns []string, v string) bool {
	if v == "" || len(v) > 4096 || strings.ContainsAny(v, "\r\n\x00") {
		return false
	}
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(v, prefix) {
				return true
			}
		} else if v == p {
			return true
		}
	}
	return false
}
