// Package failure is the typed error every service returns for a request it
// refuses. Each API surface maps a failure's Kind to its wire format in one
// place; an error that is not a *Failure is ours, a logged 500.
package failure

import (
	"errors"
	"fmt"
)

// Kind is the category an API maps to a status and body.
type Kind int

const (
	Invalid         Kind = iota + 1 // bad input: a field breaks a rule
	NotFound                        // the addressed entity does not exist (in this tenant)
	Conflict                        // a unique value is taken
	Unauthenticated                 // no or bad credentials
	Forbidden                       // credentials lack the permission
)

// Failure is a refusal that is safe to show the client: Code is a stable
// OneAccess-style code (USER.0004), Field the wire field at fault, Message
// an English sentence naming it.
type Failure struct {
	Kind    Kind
	Code    string
	Field   string
	Message string
}

func (f *Failure) Error() string {
	if f.Field != "" {
		return fmt.Sprintf("%s (%s): %s", f.Code, f.Field, f.Message)
	}
	return f.Code + ": " + f.Message
}

// New returns a failure.
func New(kind Kind, code, field, message string) *Failure {
	return &Failure{Kind: kind, Code: code, Field: field, Message: message}
}

// Invalidf is a failure of kind Invalid with a formatted message.
func Invalidf(code, field, format string, args ...any) *Failure {
	return &Failure{Kind: Invalid, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// As returns the failure in err's chain, if any.
func As(err error) (*Failure, bool) {
	var f *Failure
	ok := errors.As(err, &f)
	return f, ok
}
