package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestAppCLI: gatehouse app create|list|delete work on the database the
// server uses, and what the CLI registers works at the token endpoint.
func TestAppCLI(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db")
	key := "e2e-secret-key-0123456789abcdef-0123456789"
	cli := func(args ...string) (string, error) {
		out, err := exec.Command(binary, append(args, "--db", g.db, "--secret-key", key)...).Output()
		return string(out), err
	}
	out, err := cli("app", "create", "--name", "Batch", "--grant-types", "client_credentials", "--scopes", "get_user_info")
	if err != nil {
		t.Fatalf("app create: %v %s", err, out)
	}
	var created struct {
		ApplicationID string `json:"application_id"`
		ClientID      string `json:"client_id"`
		ClientSecret  string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ClientSecret == "" {
		t.Fatalf("app create printed %q", out)
	}
	r := postForm(t, g, "/api/v1/oauth2/token", created.ClientID, created.ClientSecret, map[string][]string{"grant_type": {"client_credentials"}})
	if r.status != 200 {
		t.Fatalf("token for the CLI-made client: %d %s", r.status, r.body)
	}
	if out, _ := cli("app", "list"); strings.Count(out, "\n") != 1 || !strings.Contains(out, created.ClientID) || strings.Contains(out, created.ClientSecret) {
		t.Errorf("app list printed %q (want one line, no secret)", out)
	}
	if _, err := cli("app", "delete", "--id", created.ApplicationID); err != nil {
		t.Fatalf("app delete: %v", err)
	}
	if out, _ := cli("app", "list"); out != "" {
		t.Errorf("app list after delete: %q", out)
	}
	if out, err := cli("app", "create", "--name", "Bad", "--redirect-uri", "https://x/cb#frag"); err == nil || out != "" {
		t.Errorf("app create with a fragment redirect: %v %q", err, out)
	}
}
