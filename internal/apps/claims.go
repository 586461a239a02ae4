package apps

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/failure"
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
type ClaimMapping struct {
	Claim  string   `json:"claim"`
	Source string   `json:"source,omitempty"`
	Value  string   `json:"value,omitempty"`
	In     []string `json:"in,omitempty"` // id_token, userinfo, access_token (JWT); default: id_token and userinfo
}

// Where a mapped claim goes.
const (
	InIDToken     = "id_token"
	InUserinfo    = "userinfo"
	InAccessToken = "access_token"
)

// reservedClaims are set by the protocol and never mapped over.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "acr", "amr", "sid", "azp",
	"at_hash", "c_hash", "jti", "client_id", "scope", "typ", "gid", "id", "userName"}

var claimNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$`)

var userFields = []string{"user_name", "name", "email", "mobile", "employee_id", "external_id", "first_name", "middle_name", "last_name"}

func validSource(src string) bool {
	switch {
	case src == "account.account_name", src == "account.name", src == "account.roles":
		return true
	case strings.HasPrefix(src, "user.extension."), strings.HasPrefix(src, "account.extension."):
		k := src[strings.LastIndex(src, ".")+1:]
		return k != "" && len(k) <= 64
	case strings.HasPrefix(src, "user.attr_"):
		return len(src) <= 64
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
		case !claimNameRE.MatchString(m.Claim):
			return bad("The claim %q must be 1-64 characters: letters, digits, _ . : -, starting with a letter or _.", truncate(m.Claim, 64))
		case slices.Contains(reservedClaims, m.Claim):
			return bad("The claim %q is set by the protocol and cannot be mapped.", m.Claim)
		case seen[m.Claim]:
			return bad("The claim %q is mapped twice.", m.Claim)
		case (m.Source == "") == (m.Value == ""):
			return bad("The mapping of %q needs either a source or a value.", m.Claim)
		case m.Source != "" && !validSource(m.Source):
			return bad("The source %q of %q is not a user or account attribute.", truncate(m.Source, 80), m.Claim)
		case len(m.Value) > 1024:
			return bad("The value of %q must be at most 1024 characters.", m.Claim)
		}
		for _, in := range m.In {
			if in != InIDToken && in != InUserinfo && in != InAccessToken {
				return bad("The in of %q may hold only id_token, userinfo and access_token.", m.Claim)
			}
		}
		seen[m.Claim] = true
	}
	return nil
}

// NeedsAccount reports whether any mapping reads the user's account.
func NeedsAccount(ms []ClaimMapping) bool {
	for _, m := range ms {
		if strings.HasPrefix(m.Source, "account.") {
			return true
		}
	}
	return false
}

// Goes reports whether the mapping puts its claim in target.
func (m *ClaimMapping) Goes(target string) bool {
	if len(m.In) == 0 {
		return target == InIDToken || target == InUserinfo
	}
	return slices.Contains(m.In, target)
}

// Resolve returns the mapped value as JSON, or nil when the source is
// empty (the claim is then left out). roles are the account's role codes.
func (m *ClaimMapping) Resolve(u *storage.User, acc *storage.AppAccount, roles []string) json.RawMessage {
	str := func(s string) json.RawMessage {
		if s == "" {
			return nil
		}
		b, _ := json.Marshal(s)
		return b
	}
	if m.Source == "" {
		return str(m.Value)
	}
	field := func(obj json.RawMessage, key string) json.RawMessage {
		var mp map[string]json.RawMessage
		if len(obj) == 0 || json.Unmarshal(obj, &mp) != nil {
			return nil
		}
		return mp[key]
	}
	src := m.Source
	switch {
	case strings.HasPrefix(src, "user.extension."):
		return field(u.Extension, strings.TrimPrefix(src, "user.extension."))
	case strings.HasPrefix(src, "user.attr_"):
		return field(u.Profile, strings.TrimPrefix(src, "user."))
	case strings.HasPrefix(src, "user."):
		return str(map[string]string{"user_name": u.UserName, "name": u.Name, "email": u.Email, "mobile": u.Mobile,
			"employee_id": u.EmployeeID, "external_id": u.ExternalID, "first_name": u.FirstName,
			"middle_name": u.MiddleName, "last_name": u.LastName}[strings.TrimPrefix(src, "user.")])
	}
	if acc == nil {
		return nil
	}
	switch {
	case src == "account.account_name":
		return str(acc.AccountName)
	case src == "account.name":
		return str(acc.Name)
	case src == "account.roles":
		if roles == nil {
			roles = []string{}
		}
		b, _ := json.Marshal(roles)
		return b
	case strings.HasPrefix(src, "account.extension."):
		return field(acc.Extension, strings.TrimPrefix(src, "account.extension."))
	}
	return nil
}
