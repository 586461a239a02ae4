package apps

import (
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/jsonobj"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// ClaimMapping adds one claim to an application's tokens (and, with the
// SAML and CAS work, its assertions): from the user, from the user's
// account in the application, or a fixed value.
//
// Sources: user.<field> (user_name, name, email, mobile, employee_id,
// external_id, first_name, middle_name, last_name, attr_* of the
// profile), user.extension.<key>, account.account_name, account.name,
// account.roles (the role codes, an array), account.extension.<key>.
//
// A template is a simple expression: text with sources in braces, such as
// "{user.employee_id}@corp.example.com" or "{account.account_name}/{user.attr_city}";
// the claim is left out when any source in it is empty.
type ClaimMapping struct {
	Claim    string   `json:"claim"`
	Source   string   `json:"source,omitempty"`
	Value    string   `json:"value,omitempty"`
	Template string   `json:"template,omitempty"`
	In       []string `json:"in,omitempty"` // id_token, userinfo, access_token (JWT), cas, saml; default: all but access_token
}

// templateRE finds the sources of a template.
var templateRE = regexp.MustCompile(`\{([^{}]*)\}`)

// Where a mapped claim goes.
const (
	InIDToken     = "id_token"
	InUserinfo    = "userinfo"
	InAccessToken = "access_token"
	InCAS         = "cas"  // CAS 3.0 attributes
	InSAML        = "saml" // SAML attribute statements
)

// reservedClaims are set by the protocol and never mapped over.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "acr", "amr", "sid", "azp",
	"at_hash", "c_hash", "jti", "client_id", "scope", "typ", "gid", "id", "userName"}

var claimNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$`)

// samlAttrNameRE admits the names of mappings that go to SAML only: SAML
// attribute names are often URIs (https://aws.amazon.com/SAML/Attributes/Role,
// http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress),
// so visible ASCII up to 256 characters, without quotes, angle brackets,
// backslashes or braces.
var samlAttrNameRE = regexp.MustCompile("^[A-Za-z_][!#-&(-;=?-\\[\\]_a-z|~]{0,255}$")

// samlOnly reports whether a mapping goes to SAML attribute statements only.
func (m *ClaimMapping) samlOnly() bool {
	return len(m.In) > 0 && !slices.ContainsFunc(m.In, func(in string) bool { return in != InSAML })
}

var userFields = []string{"user_name", "name", "email", "mobile", "employee_id", "external_id", "first_name", "middle_name", "last_name"}

func validSource(src string) bool {
	switch {
	case src == "account.account_name", src == "account.name", src == "account.roles":
		return true
	case strings.HasPrefix(src, "user.extension."), strings.HasPrefix(src, "account.extension."):
		k := src[strings.LastIndex(src, ".")+1:]
		return k != "" && len(k) <= 64
	case strings.HasPrefix(src, "user.attr_"):
		return len(src) > len("user.attr_") && len(src) <= 64
	case strings.HasPrefix(src, "user."):
		return slices.Contains(userFields, strings.TrimPrefix(src, "user."))
	}
	return false
}

func checkMappings(ms []ClaimMapping) error {
	bad := func(format string, args ...any) error {
		return failure.Invalidf("APP.0023", "claim_mappings", format, args...)
	}
	if len(ms) > 50 {
		return bad("The claim_mappings may hold at most 50 mappings.")
	}
	seen := map[string]bool{}
	for _, m := range ms {
		switch {
		case m.samlOnly() && !samlAttrNameRE.MatchString(m.Claim):
			return bad("The SAML attribute name %q must be 1-256 visible ASCII characters without quotes, < > \\ { } ^ or `, starting with a letter or _.", truncate(m.Claim, 64))
		case !m.samlOnly() && !claimNameRE.MatchString(m.Claim):
			return bad("The claim %q must be 1-64 characters: letters, digits, _ . : -, starting with a letter or _ (a mapping whose in is [\"saml\"] alone may use a URI).", truncate(m.Claim, 64))
		case slices.Contains(reservedClaims, m.Claim):
			return bad("The claim %q is set by the protocol and cannot be mapped.", m.Claim)
		case seen[m.Claim]:
			return bad("The claim %q is mapped twice.", m.Claim)
		case countSet(m.Source, m.Value, m.Template) != 1:
			return bad("The mapping of %q needs exactly one of source, value and template.", m.Claim)
		case m.Template != "" && !validTemplate(m.Template):
			return bad("The template of %q must be at most 1024 characters with at least one {source} (user or account attributes, not account.roles) and no other braces.", m.Claim)
		case m.Source != "" && !validSource(m.Source):
			return bad("The source %q of %q is not a user or account attribute.", truncate(m.Source, 80), m.Claim)
		case len(m.Value) > 1024:
			return bad("The value of %q must be at most 1024 characters.", m.Claim)
		}
		for _, in := range m.In {
			if !slices.Contains([]string{InIDToken, InUserinfo, InAccessToken, InCAS, InSAML}, in) {
				return bad("The in of %q may hold only id_token, userinfo, access_token, cas and saml.", m.Claim)
			}
		}
		seen[m.Claim] = true
	}
	return nil
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

func validTemplate(t string) bool {
	if len(t) > 1024 {
		return false
	}
	found := templateRE.FindAllStringSubmatch(t, -1)
	if len(found) == 0 || strings.ContainsAny(templateRE.ReplaceAllString(t, ""), "{}") {
		return false
	}
	for _, f := range found {
		if f[1] == "account.roles" || !validSource(f[1]) {
			return false
		}
	}
	return true
}

// NeedsAccount reports whether any mapping reads the user's account.
func NeedsAccount(ms []ClaimMapping) bool {
	for _, m := range ms {
		if strings.HasPrefix(m.Source, "account.") || strings.Contains(m.Template, "{account.") {
			return true
		}
	}
	return false
}

// Goes reports whether the mapping puts its claim in target.
func (m *ClaimMapping) Goes(target string) bool {
	if len(m.In) == 0 {
		return target != InAccessToken
	}
	return slices.Contains(m.In, target)
}

// Source is what mapped claims read at one sign-in: the user, and the
// user's account and role codes in the application. Stored objects
// (extension, profile) are read once, lazily, without decoding them.
type Source struct {
	User    *storage.User
	Account *storage.AppAccount
	Roles   []string

	userExt, profile, accExt []jsonobj.Field
	parsed                   uint8
}

func (s *Source) fields(which uint8) []jsonobj.Field {
	if s.parsed&which == 0 {
		s.parsed |= which
		switch which {
		case 1:
			s.userExt = jsonobj.Fields(s.User.Extension)
		case 2:
			s.profile = jsonobj.Fields(s.User.Profile)
		case 4:
			if s.Account != nil {
				s.accExt = jsonobj.Fields(s.Account.Extension)
			}
		}
	}
	switch which {
	case 1:
		return s.userExt
	case 2:
		return s.profile
	}
	return s.accExt
}

// Value is a resolved claim: a string (Str, when IsStr), a list of
// strings (Strs, when IsList) or raw JSON (Raw). The zero Value means the
// source is empty and the claim is left out.
type Value struct {
	Str    string
	IsStr  bool
	Strs   []string
	IsList bool
	Raw    []byte
}

func strValue(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{Str: s, IsStr: true}
}

// Resolve returns the mapped value for src.
func (m *ClaimMapping) Resolve(src *Source) Value {
	switch {
	case m.Template != "":
		return m.expand(src)
	case m.Source == "":
		return strValue(m.Value)
	}
	return resolveSource(m.Source, src)
}

// expand fills a template's sources (several values join with ",").
func (m *ClaimMapping) expand(src *Source) Value {
	empty := false
	out := templateRE.ReplaceAllStringFunc(m.Template, func(p string) string {
		vals := resolveSource(p[1:len(p)-1], src).strings()
		if len(vals) == 0 {
			empty = true
		}
		return strings.Join(vals, ",")
	})
	if empty {
		return Value{}
	}
	return strValue(out)
}

func resolveSource(path string, src *Source) Value {
	u := src.User
	switch {
	case strings.HasPrefix(path, "user.extension."):
		return Value{Raw: jsonobj.Get(src.fields(1), path[len("user.extension."):])}
	case strings.HasPrefix(path, "user.attr_"):
		return Value{Raw: jsonobj.Get(src.fields(2), path[len("user."):])}
	case strings.HasPrefix(path, "user."):
		switch path[len("user."):] {
		case "user_name":
			return strValue(u.UserName)
		case "name":
			return strValue(u.Name)
		case "email":
			return strValue(u.Email)
		case "mobile":
			return strValue(u.Mobile)
		case "employee_id":
			return strValue(u.EmployeeID)
		case "external_id":
			return strValue(u.ExternalID)
		case "first_name":
			return strValue(u.FirstName)
		case "middle_name":
			return strValue(u.MiddleName)
		case "last_name":
			return strValue(u.LastName)
		}
		return Value{}
	}
	acc := src.Account
	if acc == nil {
		return Value{}
	}
	switch {
	case path == "account.account_name":
		return strValue(acc.AccountName)
	case path == "account.name":
		return strValue(acc.Name)
	case path == "account.roles":
		return Value{Strs: src.Roles, IsList: true}
	case strings.HasPrefix(path, "account.extension."):
		return Value{Raw: jsonobj.Get(src.fields(4), path[len("account.extension."):])}
	}
	return Value{}
}
