package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
)

// TestPublicAddress: only public unicast addresses pass.
func TestPublicAddress(t *testing.T) {
	for addr, public := range map[string]bool{
		"93.184.215.14:443": true, "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443": true,
		"127.0.0.1:80": false, "[::1]:80": false, "10.1.2.3:80": false, "172.16.0.1:80": false, "192.168.1.1:80": false,
		"169.254.169.254:80": false, "[fe80::1]:80": false, "[fc00::1]:80": false, "0.0.0.0:80": false, "[::]:80": false,
		"100.64.0.1:80": false, "198.18.0.1:80": false, "224.0.0.1:80": false, "255.255.255.255:80": false,
		"[::ffff:127.0.0.1]:80": false, "[::ffff:10.0.0.1]:80": false, "[2001:db8::1]:80": false, "not-an-address": false,
	} {
		if err := publicAddress(addr); (err == nil) != public {
			t.Errorf("%s: %v, want public %v", addr, err, public)
		}
	}
}

// TestOutboundPublicOnly: the flag stops a call to a loopback server at the
// dial; without it the call goes through.
func TestOutboundPublicOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	if res, err := outboundClient(&config.Config{}, 5*time.Second).Get(srv.URL); err != nil {
		t.Fatalf("without the flag: %v", err)
	} else {
		res.Body.Close()
	}
	_, err := outboundClient(&config.Config{OutboundPublicOnly: true}, 5*time.Second).Get(srv.URL)
	if !errors.Is(err, errNotPublic) {
		t.Fatalf("with the flag: %v, want errNotPublic", err)
	}
}
