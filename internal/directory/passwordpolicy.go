package directory

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/failure"
)

// PasswordPolicy is the tenant's rule for new passwords. (Per-tenant
// settings, history and expiry come with the authentication issue; this is
// the default every tenant gets.)
type PasswordPolicy struct {
	MinLength  int // characters
	MaxLength  int // characters; bounds the hashing work too
	MinClasses int // of: lower-case, upper-case, digit, other
}

// DefaultPasswordPolicy: 8-128 characters from at least 3 of the 4 classes.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: 8, MaxLength: 128, MinClasses: 3}

// Check returns the rule pw breaks, naming the field, or nil.
func (p PasswordPolicy) Check(field, pw, userName string) *failure.Failure {
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength || n > p.MaxLength || !utf8.ValidString(pw) {
		return invalid("USER.0009", field, "The %s must be %d-%d characters long.", field, p.MinLength, p.MaxLength)
	}
	var lower, upper, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsControl(r):
			return invalid("USER.0009", field, "The %s must not contain control characters.", field)
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	if lower+upper+digit+other < p.MinClasses {
		return invalid("USER.0009", field, "The %s must mix at least %d of: lower-case letters, upper-case letters, digits, symbols.", field, p.MinClasses)
	}
	if len(userName) >= 3 && strings.Contains(strings.ToLower(pw), strings.ToLower(userName)) {
		return invalid("USER.0009", field, "The %s must not contain the user_name.", field)
	}
	return nil
}
