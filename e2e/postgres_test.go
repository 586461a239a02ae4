package e2e

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// postgresDSN is a fresh schema on the test server, or a skip with a
// message when GATEHOUSE_TEST_POSTGRES is unset.
func postgresDSN(t *testing.T) string { return sqltest.PostgresDSN(t) }
