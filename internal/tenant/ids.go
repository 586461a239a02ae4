package tenant

import (
	"crypto/rand"
	"encoding/hex"
)

// newTenantID returns 32 lower-case hex characters, the shape of
// OneAccess's X-tenant-id values.
func newTenantID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
