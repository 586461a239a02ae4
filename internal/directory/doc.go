// Package directory owns a tenant's users (and, with them, their
// organisation memberships): every rule on a user's fields, uniqueness,
// passwords and states lives here, whichever API or import path writes.
package directory
