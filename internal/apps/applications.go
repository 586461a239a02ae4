package apps

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Applications is the application registry service.
type Applications struct {
	Store storage.Store
	Audit *audit.Recorder
	Now   func() time.Time
	// OnChange, when set, is told of every change to an application, so
	// that caches of application settings can drop it.
	OnChange func(tenantID, clientID string)
	// Fetch reads a URL (GET, 200 only, at most limit bytes) for a saml
	// application's metadata_url and form-fill detection; set by the
	// wiring, which owns the outbound HTTP client. nil: both are refused.
	Fetch func(ctx context.Context, url string, limit int64) ([]byte, error)
}

// App is an application with its decoded OIDC settings.
type App struct {
	storage.Application
	OIDC     OIDCSettings
	CAS      CASSettings
	FormFill FormFillSettings
	SAML     SAMLSettings
	Mappings []ClaimMapping
	// ClientSecret is set only in the answer to register (shown once).
	ClientSecret string
}

// Failures of the application API. APP.0001-0003 are OneAccess's texts.
var (
	ErrAppNotFound = failure.New(failure.NotFound, "APP.0001", "application_id", "Application does not exist.")
	ErrAppDisabled = failure.New(failure.Invalid, "APP.0003", "application_id", "Application disabled.")
	errNameNeeded  = failure.New(failure.Invalid, "APP.0004", "name", "The name is required.")
	errNameInvalid = failure.New(failure.Invalid, "APP.0005", "name", "The name must be 1-64 characters, without control characters.")
	errNameTaken   = failure.New(failure.Conflict, "APP.0006", "name", "An application with this name already exists.")
	errProtocol    = failure.New(failure.Invalid, "APP.0007", "protocol", "The protocol must be oidc, oauth2, saml, cas or form_fill.")
	errProtocolFix = failure.New(failure.Invalid, "APP.0008", "protocol", "The protocol cannot be changed after the application is registered.")
	errOIDCOnly    = failure.New(failure.Invalid, "APP.0010", "oidc", "The oidc settings apply only to oidc and oauth2 applications.")
	errPerms       = failure.New(failure.Invalid, "APP.0020", "api_permissions", "The api_permissions may hold only all, user_all, user_read, org_all, app_org_all.")
	errOverlap     = failure.New(failure.Invalid, "APP.0021", "previous_valid_for", "The previous_valid_for must be 0 to 2592000 seconds.")
)

var protocols = []string{storage.ProtocolOIDC, storage.ProtocolOAuth2, storage.ProtocolSAML, storage.ProtocolCAS, storage.ProtocolFormFill}

func appTarget(id string) audit.Target { return audit.Target{Type: "application", ID: id} }

func isOAuth(protocol string) bool {
	return protocol == storage.ProtocolOIDC || protocol == storage.ProtocolOAuth2
}

// decode turns a stored application into an App.
func decode(a *storage.Application) (*App, error) {
	out := &App{Application: *a, Mappings: Mappings(a)}
	if out.Mappings == nil {
		out.Mappings = []ClaimMapping{}
	}
	if out.AccessPolicy == "" {
		out.AccessPolicy = storage.AccessAllUsers
	}
	switch {
	case isOAuth(a.Protocol):
		out.OIDC = DefaultOIDCSettings(a.Protocol)
		if err := json.Unmarshal(a.Settings, &out.OIDC); err != nil {
			return nil, err
		}
	case a.Protocol == storage.ProtocolCAS:
		out.CAS = DefaultCASSettings()
		if err := json.Unmarshal(a.Settings, &out.CAS); err != nil {
			return nil, err
		}
	case a.Protocol == storage.ProtocolSAML:
		out.SAML = DefaultSAMLSettings()
		if len(a.Settings) > 0 {
			if err := json.Unmarshal(a.Settings, &out.SAML); err != nil {
				return nil, err
			}
		}
	case a.Protocol == storage.ProtocolFormFill:
		out.FormFill = DefaultFormFillSettings()
		if err := json.Unmarshal(a.Settings, &out.FormFill); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// apply checks and copies what w sends onto a (and its settings s).
// protocolSettings are an application's settings of each protocol; apply
// changes and checks the ones of its protocol.
type protocolSettings struct {
	oidc     *OIDCSettings
	cas      *CASSettings
	formFill *FormFillSettings
	saml     *SAMLSettings
}

func apply(a *storage.Application, ps protocolSettings, w *AppWrite, creating bool) error {
	s, cas := ps.oidc, ps.cas
	if w.Name.Set || creating {
		name := strings.TrimSpace(w.Name.V)
		if name == "" {
			return errNameNeeded
		}
		if utf8.RuneCountInString(name) > 64 || strings.ContainsFunc(name, isControl) {
			return errNameInvalid
		}
		a.Name = name
	}
	if w.Protocol.Set && w.Protocol.V != a.Protocol {
		if !creating {
			return errProtocolFix
		}
	}
	if w.Description.Set {
		if utf8.RuneCountInString(w.Description.V) > 1024 {
			return appInvalid("APP.0009", "description", "The description must be at most 1024 characters.")
		}
		a.Description = w.Description.V
	}
	if w.Category.Set {
		if utf8.RuneCountInString(w.Category.V) > 32 || strings.ContainsFunc(w.Category.V, isControl) {
			return appInvalid("APP.0027", "category", "The category must be at most 32 characters, without control characters.")
		}
		a.Category = w.Category.V
	}
	if err := setURL("logo_url", &a.LogoURL, w.LogoURL.Set, w.LogoURL.V); err != nil {
		return err
	}
	if err := setURL("home_url", &a.HomeURL, w.HomeURL.Set, w.HomeURL.V); err != nil {
		return err
	}
	if w.APIPermissions.Set {
		perms := []string{}
		for _, p := range w.APIPermissions.V {
			if !slices.Contains(allPerms, p) {
				return errPerms
			}
			if !slices.Contains(perms, p) {
				perms = append(perms, p)
			}
		}
		a.APIPermissions = perms
	}
	if err := applyAccess(a, w); err != nil {
		return err
	}
	if err := applyLogin(a, w); err != nil {
		return err
	}
	if w.ClaimMappings.Set {
		ms := w.ClaimMappings.V
		if w.ClaimMappings.Null {
			ms = nil
		}
		if err := checkMappings(ms); err != nil {
			return err
		}
		if ms == nil {
			ms = []ClaimMapping{}
		}
		a.ClaimMappings, _ = json.Marshal(ms)
	}
	if w.OIDC.Set && !w.OIDC.Null {
		if !isOAuth(a.Protocol) {
			return errOIDCOnly
		}
		w.OIDC.V.apply(s)
	}
	if w.FormFill.Set && !w.FormFill.Null {
		if a.Protocol != storage.ProtocolFormFill {
			return appInvalid("APP.0010", "form_fill", "The form_fill settings apply only to form_fill applications.")
		}
		w.FormFill.V.apply(ps.formFill)
	}
	if w.SAML.Set && !w.SAML.Null {
		if a.Protocol != storage.ProtocolSAML {
			return appInvalid("APP.0010", "saml", "The saml settings apply only to saml applications.")
		}
		if err := w.SAML.V.apply(ps.saml); err != nil {
			return err
		}
	}
	if w.CAS.Set && !w.CAS.Null {
		if a.Protocol != storage.ProtocolCAS {
			return appInvalid("APP.0010", "cas", "The cas settings apply only to cas applications.")
		}
		w.CAS.V.apply(cas)
	}
	switch {
	case isOAuth(a.Protocol):
		if err := s.validate(); err != nil {
			return err
		}
		a.Settings, _ = json.Marshal(s)
	case a.Protocol == storage.ProtocolCAS:
		if err := cas.validate(); err != nil {
			return err
		}
		a.Settings, _ = json.Marshal(cas)
	case a.Protocol == storage.ProtocolSAML:
		// A saml application registered before Gatehouse spoke SAML has
		// settings {}: no entity id, so no service provider can sign in to
		// it. A write that leaves its saml object alone keeps it so.
		if !creating && (!w.SAML.Set || w.SAML.Null) && ps.saml.EntityID == "" {
			return nil
		}
		if err := ps.saml.validate(); err != nil {
			return err
		}
		a.Settings, _ = json.Marshal(ps.saml)
	case a.Protocol == storage.ProtocolFormFill:
		if err := ps.formFill.validate(); err != nil {
			return err
		}
		a.Settings, _ = json.Marshal(ps.formFill)
	}
	return nil
}

func setURL(field string, dst *string, set bool, v string) error {
	if !set {
		return nil
	}
	if v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(v) > 2048 {
			return appInvalid("APP.0009", field, "The %s must be an absolute http(s) URL of at most 2048 characters.", field)
		}
	}
	*dst = v
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Register adds an application with a new client. The client secret (none
// for public clients) is in the answer only.
func (s *Applications) Register(ctx context.Context, tenantID string, a audit.Actor, w *AppWrite) (*App, error) {
	if !slices.Contains(protocols, w.Protocol.V) {
		return nil, errProtocol
	}
	now := s.Now()
	app := &storage.Application{TenantID: tenantID, ID: idgen.New(now), Protocol: w.Protocol.V,
		APIPermissions: []string{}, ClientID: idgen.Alnum(32), AccessPolicy: storage.AccessAllUsers, AccessOrgIDs: []string{},
		AccountNameRule: "user_name", AccessRules: json.RawMessage("[]"), ClaimMappings: json.RawMessage("[]"),
		LoginMethods: []string{storage.LoginPassword}, MFA: storage.MFAOff, CreatedAt: now, UpdatedAt: now}
	settings, cas, ff, sml := DefaultOIDCSettings(app.Protocol), DefaultCASSettings(), DefaultFormFillSettings(), DefaultSAMLSettings()
	if err := s.fetchMetadata(ctx, app.Protocol, w); err != nil {
		return nil, err
	}
	if err := apply(app, protocolSettings{&settings, &cas, &ff, &sml}, w, true); err != nil {
		return nil, err
	}
	sec := ""
	// A public client has no secret: an empty hash (the column is NOT
	// NULL) that no presented secret's hash can equal.
	cl := &storage.APIClient{TenantID: tenantID, ClientID: app.ClientID, Name: app.Name, SecretHash: []byte{},
		Permissions: app.APIPermissions, ApplicationID: app.ID, CreatedAt: now}
	if !(isOAuth(app.Protocol) && settings.Secretless()) {
		sec = idgen.Secret()
		cl.SecretHash = secret.Hash(sec)
	}
	err := s.Audit.Do(ctx, tenantID, a, "application.create", appTarget(app.ID), func(tx storage.Repos, _ *audit.Target) error {
		if err := tx.APIClients().Create(ctx, cl); err != nil {
			return err
		}
		if err := checkAccessOrgs(ctx, tx, app); err != nil {
			return err
		}
		if err := appConflict(tx.Apps().Create(ctx, app)); err != nil {
			return err
		}
		if err := setAPIScopes(ctx, tx, app, &settings); err != nil {
			return err
		}
		return setSAMLEntityID(ctx, tx, app, &sml)
	})
	if err != nil {
		return nil, err
	}
	out, err := decode(app)
	if err != nil {
		return nil, err
	}
	out.ClientSecret = sec
	return out, nil
}

func appConflict(err error) error {
	var ce *storage.ConflictError
	if errors.As(err, &ce) && ce.Field == "name" {
		return errNameTaken
	}
	return err
}

func notFoundApp(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrAppNotFound
	}
	return err
}

// Get returns an application.
func (s *Applications) Get(ctx context.Context, tenantID, id string) (*App, error) {
	a, err := s.Store.Apps().Get(ctx, tenantID, id)
	if err != nil {
		return nil, notFoundApp(err)
	}
	return decode(a)
}

// GetByClientID returns the application of an OAuth client.
func (s *Applications) GetByClientID(ctx context.Context, tenantID, clientID string) (*App, error) {
	a, err := s.Store.Apps().GetByClientID(ctx, tenantID, clientID)
	if err != nil {
		return nil, notFoundApp(err)
	}
	return decode(a)
}

// List returns a page of applications and the tenant's total.
func (s *Applications) List(ctx context.Context, tenantID string, offset, limit int) ([]*App, int, error) {
	list, total, err := s.Store.Apps().List(ctx, tenantID, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*App, 0, len(list))
	for i := range list {
		a, err := decode(&list[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, nil
}

// Update changes what w sends. The client's name and permissions follow
// the application's.
func (s *Applications) Update(ctx context.Context, tenantID string, a audit.Actor, id string, w *AppWrite) (*App, error) {
	var out *storage.Application
	public := false
	// The metadata is fetched outside the transaction, and only for an
	// application that exists and is saml (its protocol never changes).
	if w.metadataURL() != "" {
		app, err := s.Store.Apps().Get(ctx, tenantID, id)
		if err != nil {
			return nil, notFoundApp(err)
		}
		if err := s.fetchMetadata(ctx, app.Protocol, w); err != nil {
			return nil, err
		}
	}
	err := s.Audit.Do(ctx, tenantID, a, "application.update", appTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		var err error
		out, err = tx.Apps().Update(ctx, tenantID, id, func(app *storage.Application) error {
			cur, err := decode(app)
			if err != nil {
				return err
			}
			if err := apply(app, protocolSettings{&cur.OIDC, &cur.CAS, &cur.FormFill, &cur.SAML}, w, false); err != nil {
				return err
			}
			public = isOAuth(app.Protocol) && cur.OIDC.Secretless()
			app.UpdatedAt = s.Now()
			return nil
		})
		if err != nil {
			return appConflict(notFoundApp(err))
		}
		if w.AccessOrgIDs.Set {
			if err := checkAccessOrgs(ctx, tx, out); err != nil {
				return err
			}
		}
		cur, err := decode(out)
		if err != nil {
			return err
		}
		if err := setAPIScopes(ctx, tx, out, &cur.OIDC); err != nil {
			return err
		}
		if err := setSAMLEntityID(ctx, tx, out, &cur.SAML); err != nil {
			return err
		}
		_, err = tx.APIClients().Update(ctx, tenantID, out.ClientID, func(c *storage.APIClient) error {
			c.Name, c.Permissions = out.Name, out.APIPermissions
			if public { // a public or private_key_jwt client has no secret (see Register)
				c.SecretHash, c.PrevSecretHash = nil, nil
			}
			if c.SecretHash == nil { // no secret: empty, as the column is NOT NULL
				c.SecretHash = []byte{}
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.changed(tenantID, out.ClientID)
	return decode(out)
}

// SetDisabled enables or disables an application. A disabled application
// gets no tokens, and the tokens it holds stop being active.
func (s *Applications) SetDisabled(ctx context.Context, tenantID string, a audit.Actor, id string, disabled bool) error {
	action := "application.enable"
	if disabled {
		action = "application.disable"
	}
	var clientID string
	err := s.Audit.Do(ctx, tenantID, a, action, appTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		app, err := tx.Apps().Update(ctx, tenantID, id, func(app *storage.Application) error {
			app.Disabled, app.UpdatedAt = disabled, s.Now()
			return nil
		})
		if err == nil {
			clientID = app.ClientID
		}
		return notFoundApp(err)
	})
	if err == nil {
		s.changed(tenantID, clientID)
	}
	return err
}

// Delete removes an application and its client; tokens it holds stop
// being active, since their client no longer exists.
func (s *Applications) Delete(ctx context.Context, tenantID string, a audit.Actor, id string) error {
	var clientID string
	err := s.Audit.Do(ctx, tenantID, a, "application.delete", appTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		app, err := tx.Apps().Get(ctx, tenantID, id)
		if err != nil {
			return notFoundApp(err)
		}
		clientID = app.ClientID
		return notFoundApp(tx.Apps().Delete(ctx, tenantID, id))
	})
	if err == nil {
		s.changed(tenantID, clientID)
	}
	return err
}

// MaxOverlap bounds how long a replaced secret may stay valid.
const MaxOverlap = 30 * 24 * time.Hour

// NewSecret issues a new client secret; the previous one stays valid for
// overlap (so that every instance of the application can be updated).
func (s *Applications) NewSecret(ctx context.Context, tenantID string, a audit.Actor, id string, overlap time.Duration) (string, time.Time, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return "", time.Time{}, errOverlap
	}
	sec := idgen.Secret()
	until := s.Now().Add(overlap)
	var clientID string
	err := s.Audit.Do(ctx, tenantID, a, "application.secret.rotate", appTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		app, err := tx.Apps().Get(ctx, tenantID, id)
		if err != nil {
			return notFoundApp(err)
		}
		clientID = app.ClientID
		if cur, err := decode(app); err == nil && isOAuth(app.Protocol) && cur.OIDC.Secretless() {
			return appInvalid("APP.0022", "application_id", "This client has no secret: it is public (token_endpoint_auth_method none) or signs its requests with its keys (private_key_jwt).")
		}
		_, err = tx.APIClients().Update(ctx, tenantID, app.ClientID, func(c *storage.APIClient) error {
			c.PrevSecretHash, c.PrevValidUntil, c.SecretHash = c.SecretHash, until, secret.Hash(sec)
			if overlap == 0 {
				c.PrevSecretHash = nil
			}
			return nil
		})
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	s.changed(tenantID, clientID)
	return sec, until, nil
}

func (s *Applications) changed(tenantID, clientID string) {
	if s.OnChange != nil && clientID != "" {
		s.OnChange(tenantID, clientID)
	}
}

// setAPIScopes records the API scopes the application defines, refusing
// one another application of the tenant already defines.
func setAPIScopes(ctx context.Context, tx storage.Repos, app *storage.Application, s *OIDCSettings) error {
	if !isOAuth(app.Protocol) {
		return nil
	}
	err := tx.Apps().SetAPIScopes(ctx, app.TenantID, app.ID, s.APIScopes)
	var ce *storage.ConflictError
	if errors.As(err, &ce) {
		return failure.New(failure.Conflict, "APP.0029", "oidc.api_scopes",
			"The API scope "+strings.TrimPrefix(ce.Field, "api_scopes:")+" is already defined by another application.")
	}
	return err
}
