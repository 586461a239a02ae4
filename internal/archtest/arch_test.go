// Package archtest guards the layering of docs/architecture.md by reading
// the import graph: a handler never writes SQL, a service never sees an
// http.Request, and storage knows no policy.
package archtest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gatehouse/gatehouse/"

type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
	Name       string
}

func listPackages(t *testing.T) []pkg {
	out, err := exec.Command("go", "list", "-json", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// layer of a package, by folder.
func layer(path string) string {
	p := strings.TrimPrefix(path, module)
	switch {
	case strings.HasPrefix(p, "internal/storage/sqlstore"):
		return "sqlstore"
	case strings.HasPrefix(p, "internal/storage"):
		return "storage"
	case strings.HasPrefix(p, "internal/api/"), strings.HasPrefix(p, "internal/web"),
		strings.HasPrefix(p, "internal/oidc"), strings.HasPrefix(p, "internal/saml"), strings.HasPrefix(p, "internal/cas"),
		strings.HasPrefix(p, "internal/formfill"), p == "internal/backchannel":
		return "protocol"
	case p == "internal/server", strings.HasPrefix(p, "cmd/"), strings.HasPrefix(p, "e2e"), strings.HasPrefix(p, "bench"),
		p == "internal/archtest":
		return "wiring"
	case strings.HasPrefix(p, "internal/"):
		return "service"
	}
	return "other"
}

func TestLayering(t *testing.T) {
	for _, p := range listPackages(t) {
		l := layer(p.ImportPath)
		for _, imp := range p.Imports {
			bad := ""
			switch {
			case l == "protocol" && (layer(imp) == "sqlstore" || imp == "database/sql"):
				bad = "a protocol or API package must reach the database through a service"
			case l == "service" && (imp == "net/http" || layer(imp) == "sqlstore" || layer(imp) == "protocol"):
				bad = "a service must not see HTTP, SQL or a protocol package"
			case l == "storage" && strings.HasPrefix(imp, module) && layer(imp) != "storage" && layer(imp) != "sqlstore":
				if !strings.HasSuffix(imp, "internal/idgen") {
					bad = "storage must not depend on services"
				}
			case l == "sqlstore" && strings.HasPrefix(imp, module) && layer(imp) == "service" && !strings.HasSuffix(imp, "internal/idgen"):
				bad = "the SQL store must not depend on services"
			}
			if bad != "" {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, bad)
			}
		}
	}
}

// TestPackageDocs: every package says what it is for.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.Name != "main" && strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}
