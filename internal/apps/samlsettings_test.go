package apps

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// probeStore watches a store: whether a transaction is open, and, when
// corrupt is set, hands Update's caller an application whose settings do
// not decode (what the database holds is untouched).
type probeStore struct {
	storage.Store
	inTx    atomic.Bool
	corrupt atomic.Bool
}

func (p *probeStore) InTx(ctx context.Context, fn func(tx storage.Repos) error) error {
	return p.Store.InTx(ctx, func(tx storage.Repos) error {
		p.inTx.Store(true)
		defer p.inTx.Store(false)
		return fn(probeRepos{tx, p})
	})
}

type probeRepos struct {
	storage.Repos
	p *probeStore
}

func (r probeRepos) Apps() storage.AppRepo { return probeApps{r.Repos.Apps(), r.p} }

type probeApps struct {
	storage.AppRepo
	p *probeStore
}

func (a probeApps) Update(ctx context.Context, tenantID, id string, fn func(*storage.Application) error) (*storage.Application, error) {
	out, err := a.AppRepo.Update(ctx, tenantID, id, fn)
	if err == nil && a.p.corrupt.Load() {
		c := *out
		c.Settings = json.RawMessage(`{"entity_id":`)
		out = &c
	}
	return out, err
}

// testRegistry is an application registry on a fresh database whose Fetch
// answers fetch and counts its calls.
func testRegistry(t *testing.T, dsn string, fetch func(url string) ([]byte, error)) (*Applications, *probeStore, *atomic.Int32) {
	t.Helper()
	st := sqltest.Open(t, dsn)
	if err := st.Tenants().Create(context.Background(), &storage.Tenant{ID: "t1", Name: "T1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	p := &probeStore{Store: st}
	calls := &atomic.Int32{}
	r := &Applications{Store: p, Now: time.Now,
		Audit: &audit.Recorder{Store: p, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	r.Fetch = func(_ context.Context, url string, limit int64) ([]byte, error) {
		calls.Add(1)
		if p.inTx.Load() {
			t.Errorf("%s fetched inside a transaction", url)
		}
		if limit != MaxSPMetadata {
			t.Errorf("fetch limit %d, want %d", limit, MaxSPMetadata)
		}
		return fetch(url)
	}
	return r, p, calls
}

func appWrite(t *testing.T, js string) *AppWrite {
	t.Helper()
	var w AppWrite
	if err := json.Unmarshal([]byte(js), &w); err != nil {
		t.Fatal(err)
	}
	return &w
}

func wantFailure(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	f, ok := failure.As(err)
	if !ok || f.Code != code || f.Message != msg {
		t.Errorf("%s: %v\nwant %s: %s", what, err, code, msg)
	}
}

// TestSAMLMetadataURLFetchedLast: a metadata_url is fetched only for a
// saml application that exists, outside the transaction; the protocol and
// the application id are checked first, and a write that sends the
// metadata both ways is refused unfetched.
func TestSAMLMetadataURLFetchedLast(t *testing.T) {
	for _, b := range sqltest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			reg, _, calls := testRegistry(t, b.DSN(t), func(string) ([]byte, error) { return nil, errors.New("HTTP status 404") })
			const mdURL = `"metadata_url":"https://sp.example.com/metadata"`
			noFetch := func(what string, err error, code, msg string) {
				t.Helper()
				before := calls.Load()
				wantFailure(t, what, err, code, msg)
				if calls.Load() != before {
					t.Errorf("%s: the metadata_url was fetched", what)
				}
			}
			before := calls.Load()
			_, err := reg.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"C","protocol":"cas","saml":{`+mdURL+`},
				"cas":{"service_patterns":["https://c.example.com/"]}}`))
			wantFailure(t, "register a cas app with a metadata_url", err, "APP.0010", "The saml settings apply only to saml applications.")
			if calls.Load() != before {
				t.Error("register a cas app: the metadata_url was fetched")
			}
			cas, err := reg.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"C","protocol":"cas","cas":{"service_patterns":["https://c.example.com/"]}}`))
			if err != nil {
				t.Fatal(err)
			}
			_, err = reg.Update(ctx, "t1", audit.System, "no-such-app", appWrite(t, `{"saml":{`+mdURL+`}}`))
			noFetch("modify an unknown application", err, "APP.0001", "Application does not exist.")
			_, err = reg.Update(ctx, "t1", audit.System, cas.ID, appWrite(t, `{"saml":{`+mdURL+`}}`))
			noFetch("modify a cas app", err, "APP.0010", "The saml settings apply only to saml applications.")
			both := `"saml":{` + mdURL + `,"metadata_xml":"<EntityDescriptor/>"}`
			_, err = reg.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"S","protocol":"saml",`+both+`}`))
			noFetch("register with both metadata fields", err, "APP.0043",
				"The saml.metadata_xml and saml.metadata_url cannot both be sent: send the metadata inline or by URL, not both.")

			// A saml application fetches, outside the transaction, and the
			// error is a sentence.
			_, err = reg.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"S","protocol":"saml","saml":{`+mdURL+`}}`))
			wantFailure(t, "register, metadata not found", err, "APP.0043", "The saml.metadata_url could not be read: HTTP status 404.")
			if calls.Load() != before+1 {
				t.Errorf("%d fetches, want 1", calls.Load()-before)
			}
			sp, err := reg.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"S","protocol":"saml","saml":{"entity_id":"https://sp.example.com/",
				"acs":[{"url":"https://sp.example.com/acs"}]}}`))
			if err != nil {
				t.Fatal(err)
			}
			_, err = reg.Update(ctx, "t1", audit.System, sp.ID, appWrite(t, `{"saml":{`+mdURL+`}}`))
			wantFailure(t, "modify, metadata not found", err, "APP.0043", "The saml.metadata_url could not be read: HTTP status 404.")
			if calls.Load() != before+2 {
				t.Errorf("%d fetches, want 2", calls.Load()-before)
			}
			_, err = reg.Update(ctx, "t1", audit.System, sp.ID, appWrite(t, `{`+both+`}`))
			noFetch("modify with both metadata fields", err, "APP.0043",
				"The saml.metadata_xml and saml.metadata_url cannot both be sent: send the metadata inline or by URL, not both.")
		})
	}
}

// TestFetchErrorIsASentence: whatever the fetcher says, the message ends
// with exactly one period, for metadata and form-fill detection alike.
func TestFetchErrorIsASentence(t *testing.T) {
	for _, e := range []string{"the request failed", "the request failed.", "HTTP status 500"} {
		reg, _, _ := testRegistry(t, sqltest.SQLiteDSN(t), func(string) ([]byte, error) { return nil, errors.New(e) })
		want := strings.TrimSuffix(e, ".")
		_, err := reg.Register(context.Background(), "t1", audit.System, appWrite(t, `{"name":"S","protocol":"saml","saml":{"metadata_url":"https://sp.example.com/md"}}`))
		wantFailure(t, "metadata: "+e, err, "APP.0043", "The saml.metadata_url could not be read: "+want+".")
		reg.Fetch = func(context.Context, string, int64) ([]byte, error) { return nil, errors.New(e) }
		_, err = reg.DetectFormAt(context.Background(), "https://legacy.example.com/login")
		wantFailure(t, "detect: "+e, err, "APP.0062", "The login_url could not be read: "+want+".")
	}
}

// TestSAMLUpdateDecodeFailureRollsBack: when the updated application does
// not decode, Update fails and changes nothing (the entity id index is
// never left behind the settings).
func TestSAMLUpdateDecodeFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	reg, p, _ := testRegistry(t, sqltest.SQLiteDSN(t), nil)
	sp, err := reg.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"S","protocol":"saml","saml":{"entity_id":"https://sp.example.com/old",
		"acs":[{"url":"https://sp.example.com/acs"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	p.corrupt.Store(true)
	if _, err := reg.Update(ctx, "t1", audit.System, sp.ID, appWrite(t, `{"name":"Renamed","saml":{"entity_id":"https://sp.example.com/new"}}`)); err == nil {
		t.Fatal("Update succeeded with settings that do not decode")
	}
	p.corrupt.Store(false)
	got, err := reg.Get(ctx, "t1", sp.ID)
	if err != nil || got.Name != "S" || got.SAML.EntityID != "https://sp.example.com/old" {
		t.Fatalf("after the failed update: %v %+v", err, got)
	}
	if found, err := reg.GetBySAMLEntityID(ctx, "t1", "https://sp.example.com/old"); err != nil || found.ID != sp.ID {
		t.Errorf("the old entity id no longer finds the application: %v", err)
	}
}

// TestSAMLEntityIDCharacters: the 1024 of the entity id are characters,
// when it is written and when a request names it.
func TestSAMLEntityIDCharacters(t *testing.T) {
	ctx := context.Background()
	reg, _, _ := testRegistry(t, sqltest.SQLiteDSN(t), nil)
	long := "urn:" + strings.Repeat("é", 1020) // 1024 characters, 2044 bytes
	sp, err := reg.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"S","protocol":"saml","saml":{"entity_id":"`+long+`",
		"acs":[{"url":"https://sp.example.com/acs"}]}}`))
	if err != nil {
		t.Fatalf("1024 characters: %v", err)
	}
	if found, err := reg.GetBySAMLEntityID(ctx, "t1", long); err != nil || found.ID != sp.ID {
		t.Errorf("GetBySAMLEntityID(1024 characters): %v", err)
	}
	_, err = reg.Register(ctx, "t1", audit.System, appWrite(t, `{"name":"T","protocol":"saml","saml":{"entity_id":"`+long+`é",
		"acs":[{"url":"https://sp.example.com/acs"}]}}`))
	wantFailure(t, "1025 characters", err, "APP.0036", "The saml.entity_id is required: 1-1024 characters without spaces or control characters.")
	if _, err := reg.GetBySAMLEntityID(ctx, "t1", long+"é"); !errors.Is(err, ErrAppNotFound) {
		t.Errorf("GetBySAMLEntityID(1025 characters): %v", err)
	}
}

// TestSAMLURLRules: every URL rule, and a message that names them all.
func TestSAMLURLRules(t *testing.T) {
	const rule = "an absolute http(s) URL of at most 2048 characters, without user info, fragment, spaces or control characters"
	if samlURLRule != rule {
		t.Errorf("samlURLRule = %q", samlURLRule)
	}
	long := "https://sp.example.com/" + strings.Repeat("é", 2048-23)
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://sp.example.com/acs", true},
		{"http://sp.example.com:8080/acs?x=1", true},
		{long, true}, // 2048 characters
		{long + "x", false},
		{"https://user:pw@sp.example.com/acs", false},
		{"https://user@sp.example.com/acs", false},
		{"https://sp.example.com/acs#top", false},
		{"https://sp.example.com/acs#", false},
		{"https://sp.example.com/a cs", false},
		{"https://sp.example.com/acs\t", false},
		{"https://sp.example.com/acs\x7f", false},
		{"ftp://sp.example.com/acs", false},
		{"/acs", false},
		{"https:///acs", false},
	} {
		if got := samlURL(c.url); got != c.ok {
			t.Errorf("samlURL(%.60q) = %v, want %v", c.url, got, c.ok)
		}
	}
	base := func() *SAMLSettings {
		s := DefaultSAMLSettings()
		s.EntityID, s.ACS = "https://sp.example.com/", []SAMLEndpoint{{URL: "https://sp.example.com/acs"}}
		return &s
	}
	for _, u := range []string{"https://user:pw@sp.example.com/acs", long + "x", "https://sp.example.com/acs#x"} {
		s := base()
		s.ACS[0].URL = u
		wantFailure(t, "acs "+truncate(u, 30), s.validate(), "APP.0037", fmt.Sprintf("The saml.acs url %q must be %s.", truncate(u, 100), rule))
		s = base()
		s.SLOURL = u
		wantFailure(t, "slo_url "+truncate(u, 30), s.validate(), "APP.0038", "The saml.slo_url must be "+rule+".")
	}
	reg, _, calls := testRegistry(t, sqltest.SQLiteDSN(t), nil)
	_, err := reg.Register(context.Background(), "t1", audit.System, appWrite(t, `{"name":"S","protocol":"saml","saml":{"metadata_url":"https://u:p@sp.example.com/md"}}`))
	wantFailure(t, "metadata_url with user info", err, "APP.0043", "The saml.metadata_url must be "+rule+".")
	if calls.Load() != 0 {
		t.Error("a refused metadata_url was fetched")
	}
}

// spCertB64 is a new self-signed ECDSA certificate, base64 DER.
func spCertB64(t *testing.T, n int) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(n)), Subject: pkix.Name{CommonName: fmt.Sprint("sp ", n)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func spMetadataWithKeys(keys ...string) string {
	var b strings.Builder
	b.WriteString(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com/md">` +
		`<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`)
	for _, k := range keys {
		b.WriteString(k)
	}
	b.WriteString(`<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs" index="1"/>` +
		`</SPSSODescriptor></EntityDescriptor>`)
	return b.String()
}

func keyDescriptor(use, cert string) string {
	attr := ""
	if use != "" {
		attr = ` use="` + use + `"`
	}
	return `<KeyDescriptor` + attr + `><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` +
		cert + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`
}

// TestSPMetadataSigningCertCap: metadata with more than 4 signing
// certificates is a metadata error naming the count, unless the write
// chooses the certificates; a certificate listed twice counts once.
func TestSPMetadataSigningCertCap(t *testing.T) {
	certs := make([]string, 5)
	for i := range certs {
		certs[i] = spCertB64(t, i+1)
	}
	five := []string{}
	for _, c := range certs {
		five = append(five, keyDescriptor("signing", c))
	}
	s := DefaultSAMLSettings()
	w := SAMLWrite{}
	w.MetadataXML.Set, w.MetadataXML.V = true, spMetadataWithKeys(five...)
	wantFailure(t, "five signing certificates", w.apply(&s), "APP.0043",
		"The service provider metadata cannot be used: it has 5 signing certificates, and at most 4 are accepted (send saml.sp_signing_certs to choose them).")

	s = DefaultSAMLSettings()
	w.SPSigningCerts.Set, w.SPSigningCerts.V = true, certs[:2]
	if err := w.apply(&s); err != nil || s.validate() != nil || len(s.SPSigningCerts) != 2 {
		t.Errorf("five in the metadata, two chosen: %v, %d certificates", err, len(s.SPSigningCerts))
	}

	// The same certificate with and without a use, and reformatted: once.
	wrapped := certs[0][:40] + "\n  " + certs[0][40:]
	s = DefaultSAMLSettings()
	w = SAMLWrite{}
	w.MetadataXML.Set, w.MetadataXML.V = true, spMetadataWithKeys(keyDescriptor("signing", certs[0]), keyDescriptor("", wrapped),
		keyDescriptor("signing", certs[1]), keyDescriptor("signing", certs[2]), keyDescriptor("signing", certs[3]), keyDescriptor("encryption", certs[4]))
	if err := w.apply(&s); err != nil {
		t.Fatalf("four distinct signing certificates: %v", err)
	}
	if err := s.validate(); err != nil || len(s.SPSigningCerts) != 4 {
		t.Errorf("four distinct signing certificates: %v, %d kept", err, len(s.SPSigningCerts))
	}
}
