package directory

import (
	"encoding/json"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/failure"
)

// Field rules. Each check returns the failure naming the field, or nil.

// UserNameKey is the normalised form of a user name: lookups and the
// uniqueness constraint use it, so "LiHua" and "lihua" are one user.
func UserNameKey(name string) string { return strings.ToLower(name) }

func checkUserName(name string) *failure.Failure {
	if name == "" {
		return errUserNameRequired
	}
	if utf8.RuneCountInString(name) > 64 {
		return errUserNameInvalid
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-@+", r) {
			return errUserNameInvalid
		}
	}
	return nil
}

var mobileRE = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{3,24}$`)

// MobileKey normalises a mobile number for uniqueness and login: spaces,
// dashes and brackets are dropped, a leading + kept ("+86-152..." becomes
// "+86152..."). It returns "" for an invalid number.
func MobileKey(m string) string {
	if !mobileRE.MatchString(m) {
		return ""
	}
	var b strings.Builder
	for i, r := range m {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	k := b.String()
	digits := len(strings.TrimPrefix(k, "+"))
	if digits < 5 || digits > 20 {
		return ""
	}
	return k
}

// EmailKey normalises an e-mail address for uniqueness and login.
func EmailKey(e string) string { return strings.ToLower(e) }

func checkEmail(e string) *failure.Failure {
	if len(e) > 254 {
		return errEmailInvalid
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || strings.ContainsAny(e, " \t\r\n<>") {
		return errEmailInvalid
	}
	return nil
}

// checkText bounds a free-text field and refuses control characters.
func checkText(code, field, v string, max int) *failure.Failure {
	if utf8.RuneCountInString(v) > max || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return invalid(code, field, "The %s must be at most %d characters, without control characters.", field, max)
	}
	return nil
}

func checkName(v string) *failure.Failure {
	if checkText("USER.0010", "name", v, 100) != nil {
		return errNameInvalid
	}
	return nil
}

func checkDate(field, v string) *failure.Failure {
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return invalid("USER.0014", field, "The %s must be a date, yyyy-MM-dd.", field)
	}
	return nil
}

var enumValues = map[string][]string{
	"attr_gender":    {"male", "female", "unknow", "unknown"},
	"attr_user_type": {"regular", "intern", "dispatch", "outsourcing"},
}

var identityTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// checkProfileField checks one attr_* value; "" clears the attribute.
func checkProfileField(field, v string) *failure.Failure {
	if v == "" {
		return nil
	}
	switch field {
	case "attr_birthday", "attr_hire_date":
		return checkDate(field, v)
	case "attr_gender", "attr_user_type":
		for _, ok := range enumValues[field] {
			if v == ok {
				return nil
			}
		}
		code := map[string]string{"attr_gender": "USER.0013", "attr_user_type": "USER.0015"}[field]
		return invalid(code, field, "The %s must be one of %s.", field, strings.Join(enumValues[field], ", "))
	case "attr_identity_type":
		if !identityTypeRE.MatchString(v) {
			return invalid("USER.0016", field, "The attr_identity_type must be a lower-case code such as id_card or passport.")
		}
		return nil
	}
	return checkText("USER.0016", field, v, 128)
}

var extensionKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)

// mergeExtension applies a sent extension object to the stored one: keys
// sent with null are removed, others set. Values must be strings, numbers
// or booleans (custom attribute definitions refine this with their type).
func mergeExtension(stored json.RawMessage, sent map[string]json.RawMessage) (json.RawMessage, *failure.Failure) {
	return mergeExtensionCode("USER.0019", stored, sent)
}

// mergeExtensionCode is mergeExtension with the failure code of the entity.
func mergeExtensionCode(code string, stored json.RawMessage, sent map[string]json.RawMessage) (json.RawMessage, *failure.Failure) {
	cur := map[string]json.RawMessage{}
	if len(stored) > 0 {
		json.Unmarshal(stored, &cur)
	}
	for k, v := range sent {
		if !extensionKeyRE.MatchString(k) {
			return nil, invalid(code, "extension", "The extension key %q must be 1-64 characters: letters, digits, _ . -, starting with a letter or _.", truncate(k, 70))
		}
		switch t := strings.TrimSpace(string(v)); {
		case t == "null":
			delete(cur, k)
			continue
		case strings.HasPrefix(t, "{") || strings.HasPrefix(t, "["):
			return nil, invalid(code, "extension", "The extension value of %q must be a string, number or boolean.", k)
		case strings.HasPrefix(t, `"`):
			var s string
			json.Unmarshal(v, &s)
			if f := checkText(code, "extension", s, 1024); f != nil {
				return nil, invalid(code, "extension", "The extension value of %q must be at most 1024 characters, without control characters.", k)
			}
		}
		cur[k] = v
	}
	if len(cur) > 64 {
		return nil, invalid(code, "extension", "The extension may hold at most 64 attributes.")
	}
	out, _ := json.Marshal(cur) // sorted keys, compact
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
