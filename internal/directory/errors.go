package directory

import "github.com/gatehouse/gatehouse/internal/failure"

// Failures of the user API. Codes documented by OneAccess keep their
// documented text (USER.0001, USER.0033, USER.0038); the others are
// Gatehouse's, listed in docs/api.md. Every message names its field.
var (
	ErrUserNotFound        = failure.New(failure.NotFound, "USER.0001", "user_id", "User does not exist.")
	errUserNameRequired    = failure.New(failure.Invalid, "USER.0002", "user_name", "The user_name is required.")
	errUserNameInvalid     = failure.New(failure.Invalid, "USER.0003", "user_name", "The user_name must be 1-64 characters: letters, digits and . _ - @ +, no spaces.")
	errUserNameTaken       = failure.New(failure.Conflict, "USER.0004", "user_name", "The user_name already exists.")
	errMobileRequired      = failure.New(failure.Invalid, "USER.0005", "mobile", "The mobile is required.")
	errMobileInvalid       = failure.New(failure.Invalid, "USER.0038", "mobile", "Invalid mobile number.")
	errMobileTaken         = failure.New(failure.Conflict, "USER.0006", "mobile", "The mobile number already exists.")
	errEmailInvalid        = failure.New(failure.Invalid, "USER.0007", "email", "The email must be a valid address of at most 254 characters.")
	errEmailTaken          = failure.New(failure.Conflict, "USER.0008", "email", "The email already exists.")
	errNameInvalid         = failure.New(failure.Invalid, "USER.0010", "name", "The name must be at most 100 characters, without control characters.")
	errEmployeeIDTaken     = failure.New(failure.Conflict, "USER.0033", "employee_id", "Employee ID already exists.")
	errManagerNotFound     = failure.New(failure.Invalid, "USER.0017", "attr_manager_id", "The attr_manager_id must be the id of another user of this tenant.")
	errPasswordInModify    = failure.New(failure.Invalid, "USER.0020", "password", "The password cannot be changed by modify; use change-password.")
	errPasswordRequired    = failure.New(failure.Invalid, "USER.0023", "password", "The password is required.")
	errOldPasswordRequired = failure.New(failure.Invalid, "USER.0024", "old_password", "The old_password is required.")
	errPasswordUnchanged   = failure.New(failure.Invalid, "USER.0022", "password", "The new password must differ from the current one.")
	errOldPasswordWrong    = failure.New(failure.Invalid, "USER.0044", "old_password", "Original password incorrect.")
)

func invalid(code, field, format string, args ...any) *failure.Failure {
	return failure.Invalidf(code, field, format, args...)
}
