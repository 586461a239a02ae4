package storage

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when the addressed row does not exist in the
// caller's tenant. Rows of other tenants are reported the same way.
var ErrNotFound = errors.New("storage: not found")

// ErrConflict is the category of every unique-constraint violation; use
// errors.Is to test for it and errors.As with *ConflictError for the field.
var ErrConflict = errors.New("storage: conflict")

// ConflictError names the field whose uniqueness a write violated.
type ConflictError struct {
	Entity string // "user", "tenant", ...
	Field  string // wire name of the field, e.g. "user_name"
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("storage: %s %s already exists", e.Entity, e.Field)
}

// Is makes errors.Is(err, ErrConflict) true for every ConflictError.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
