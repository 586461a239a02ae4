package storage

import (
	"encoding/json"
	"time"
)

// DefaultTenantID is the id of the tenant created on first start. Requests
// whose Host matches no tenant domain are served by it.
const DefaultTenantID = "default"

// Tenant is a OneAccess "instance": an isolated directory with its own users,
// applications, keys and domain.
type Tenant struct {
	ID        string
	Name      string
	Domain    string // lower-case host[:port] that selects this tenant; empty for the default tenant
	CreatedAt time.Time
}

// User is a person in a tenant's directory.
type User struct {
	TenantID string
	ID       string

	UserName    string
	UserNameKey string // normalised user name, unique per tenant
	Name        string
	Mobile      string // as given; empty when absent
	MobileKey   string // normalised mobile, unique per tenant when set
	Email       string
	EmailKey    string // lower-cased e-mail, unique per tenant when set
	EmployeeID  string // unique per tenant when set
	ExternalID  string
	FirstName   string
	MiddleName  string
	LastName    string

	// Profile holds the OneAccess attr_* fields (gender, birthday, ...) as a
	// JSON object; Extension holds the tenant's custom attributes.
	Profile   json.RawMessage
	Extension json.RawMessage

	PasswordHash  string // PHC-formatted argon2id hash; empty when no password is set
	PwdMustModify bool
	PwdChangedAt  time.Time // zero when never changed

	Disabled bool
	Locked   bool
	Grade    int

	HomeOrgID string // empty when the user belongs to no organisation
	Orgs      []UserOrg

	CreatedAt time.Time
	UpdatedAt time.Time
}

// LoginKind names a unique identifier a user signs in with.
type LoginKind int

// Sign-in identifiers.
const (
	LoginUserName LoginKind = iota
	LoginEmail
	LoginMobile
)

// Relation types of a user to an organisation, as OneAccess spells them.
const (
	RelationHome      = 0 // 归属: the user's home organisation
	RelationSecondary = 1 // 挂靠: an additional organisation
)

// UserOrg is one organisation membership of a user.
type UserOrg struct {
	OrgID        string
	RelationType int
}

// UserFilter selects users for a list. Zero values select everything.
type UserFilter struct {
	OrgID         string    // home or secondary member of exactly this organisation
	UpdatedAfter  time.Time // updated strictly after this instant
	Offset, Limit int       // rows to skip and to return
}

// Organization is a node of a tenant's organisation tree.
type Organization struct {
	TenantID  string
	ID        string
	Code      string
	Name      string
	ParentID  string // empty for a root
	Category  string
	Sequence  int
	Extension json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Permission codes of management-API clients (ONEACCESS-API.md 0.2). A
// client of the default tenant with "all" that belongs to no application is
// a super-admin client: it may also call the system API (/api/v2/system).
const (
	PermAll       = "all"         // every management API of the tenant
	PermUserAll   = "user_all"    // user writes and reads
	PermUserRead  = "user_read"   // user reads
	PermOrgAll    = "org_all"     // organisation calls
	PermAppOrgAll = "app_org_all" // application-organisation calls
)

// APIClient is a credential that obtains management-API tokens. The secret
// is stored only as its SHA-256 hash.
type APIClient struct {
	TenantID       string
	ClientID       string
	Name           string
	SecretHash     []byte // SHA-256 of the current secret
	PrevSecretHash []byte // SHA-256 of the previous secret, valid until PrevValidUntil
	PrevValidUntil time.Time
	Permissions    []string
	ApplicationID  string // the application this client belongs to, if any
	CreatedAt      time.Time
}

// MgmtToken is an issued management-API access token. Only the hash is used
// for lookups; Sealed is the token encrypted with the instance secret key so
// that a repeated request can be answered with the same token.
type MgmtToken struct {
	TenantID  string
	Hash      []byte
	Sealed    []byte
	ClientID  string
	Scope     string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Audit results.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// AuditEvent records who did what to which target, from where, and how it
// ended. Detail never holds a secret.
type AuditEvent struct {
	TenantID   string
	ID         string
	Time       time.Time
	ActorType  string // "api_client", "user", "system"
	ActorID    string
	Action     string // e.g. "user.create"
	TargetType string
	TargetID   string
	SourceIP   string
	UserAgent  string
	Result     string
	Detail     string // short, secret-free explanation (e.g. the error code)
}

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	Action   string
	TargetID string
	Limit    int
}

// SigningKey is a tenant's token-signing key. The private key is stored
// encrypted with the instance secret key.
type SigningKey struct {
	TenantID   string
	KID        string
	Algorithm  string // "RS256" or "ES256"
	PrivateEnc []byte // sealed PKCS#8 DER
	Active     bool
	CreatedAt  time.Time
	// NotBefore is when the key starts signing: a rotated-in key is
	// published in the JWKS first, so every node and relying party has it
	// before any token it signs exists.
	NotBefore time.Time
	// ExpiresAt is when the key leaves the JWKS (every token it signed has
	// expired); zero while the key is current.
	ExpiresAt time.Time
}

// Application protocols.
const (
	ProtocolOIDC     = "oidc"
	ProtocolOAuth2   = "oauth2"
	ProtocolSAML     = "saml"
	ProtocolCAS      = "cas"
	ProtocolFormFill = "form_fill"
)

// Application is an entry of a tenant's application registry. Its OAuth
// credential is the APIClient whose ApplicationID is the application's id.
type Application struct {
	TenantID    string
	ID          string
	Name        string
	Description string
	LogoURL     string
	HomeURL     string
	Category    string // e.g. "hr", "finance": grouping in portals
	Protocol    string
	Disabled    bool
	// Settings holds the protocol settings (the "oidc" object for oidc and
	// oauth2 applications) as JSON; the apps service owns its shape.
	Settings       json.RawMessage
	APIPermissions []string
	ClientID       string
	// AccessPolicy says who may sign in to the application: AccessAllUsers,
	// AccessAuthorized (users with an enabled account of it), or
	// AccessOrganizations (those, and members of AccessOrgIDs' subtrees).
	AccessPolicy string
	AccessOrgIDs []string
	// AccessRules (JSON, owned by the apps service) are the conditions of
	// AccessRulesPolicy.
	AccessRules json.RawMessage
	// AccountNameRule names a user's new account in the application (the
	// apps service owns its forms: user_name, email, a template…).
	AccountNameRule string
	// ClaimMappings (JSON, owned by the apps service) adds claims from the
	// user and the user's account to tokens and assertions.
	ClaimMappings json.RawMessage
	// LoginMethods are the first factors a user may sign in to the
	// application with (LoginPassword); MFA says whether a second factor
	// is needed too (MFAOff, MFARequired). The "login" object of the API.
	LoginMethods []string
	MFA          string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Login methods and MFA policies of applications.
const (
	LoginPassword = "password"
	MFAOff        = "off"
	MFARequired   = "required"
)

// Access policies of applications.
const (
	AccessAllUsers   = "all_users"
	AccessAuthorized = "authorized"
	// AccessOrganizations: users with an enabled account, and members of
	// the application's organisations (or organisations below them).
	AccessOrganizations = "organizations"
	// AccessRulesPolicy: users with an enabled account, and users whose
	// attributes match one of the application's rules.
	AccessRulesPolicy = "rules"
)

// Session is a signed-in browser's SSO session. The cookie holds a random
// value; only its SHA-256 (IDHash) is stored. SID is the public session id
// put in ID tokens ("sid") and used by logout.
type Session struct {
	TenantID  string
	IDHash    []byte
	SID       string
	UserID    string
	AuthTime  time.Time
	AMR       []string // authentication methods, e.g. ["pwd"]
	ACR       string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute end of the session
}

// AuthCode is an OAuth 2.0 authorization code, stored by hash, single use.
type AuthCode struct {
	TenantID      string
	Hash          []byte
	ClientID      string
	UserID        string
	SID           string
	GrantID       string // every token issued for this code carries it
	RedirectURI   string
	Scope         string
	Nonce         string
	CodeChallenge string // S256 challenge, "" when PKCE was not used
	AuthTime      time.Time
	AMR           []string
	ACR           string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time // zero until exchanged
}

// RefreshToken is a refresh token, stored by hash. Rotation marks it used
// and issues a successor with the same GrantID (its family).
type RefreshToken struct {
	TenantID  string
	Hash      []byte
	ClientID  string
	UserID    string
	SID       string
	GrantID   string
	Scope     string
	AuthTime  time.Time
	AMR       []string
	ACR       string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Consent is a user's standing permission for a client to get scopes.
type Consent struct {
	TenantID  string
	UserID    string
	ClientID  string
	Scope     string
	GrantedAt time.Time
}

// Application account types (ONEACCESS-API.md 3.3).
const (
	AccountBasic  = "BASIC_ACCOUNT"  // a user's own account in the application
	AccountOrphan = "ORPHAN_ACCOUNT" // an account whose user is gone or unknown
	AccountPublic = "PUBLIC_ACCOUNT" // a shared account
)

// AppAccount is the identity a user has inside one application.
type AppAccount struct {
	TenantID      string
	ID            string
	ApplicationID string
	UserID        string // empty for orphan and public accounts
	AccountName   string
	AccountType   string
	Name          string
	PasswordEnc   []byte // sealed; for form-fill applications
	Disabled      bool
	AppOrgID      string
	Extension     json.RawMessage
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// AppRole is a role defined by an application; its members are accounts.
type AppRole struct {
	TenantID      string
	ID            string
	ApplicationID string
	Code          string
	Name          string
	CreatedAt     time.Time
	UpdatedAt     time.Time // zero until modified
}

// AppOrg is a node of an application's own organisation tree.
type AppOrg struct {
	TenantID      string
	ID            string
	ApplicationID string
	Code          string
	Name          string
	ParentID      string
	// MappedOrgID is the Gatehouse organisation this one stands for ("":
	// none); unique within the application.
	MappedOrgID string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Entities that carry custom attributes.
const (
	EntityUser         = "user"
	EntityOrganization = "organization"
	EntityAppAccount   = "app_account"
)

// AttributeDef defines one custom attribute of an entity type (for app
// accounts, of one application). Rules holds the type's constraints as
// JSON (owned by the objmodel service).
type AttributeDef struct {
	TenantID      string
	ID            string
	Entity        string
	ApplicationID string // app accounts only
	Name          string
	DisplayName   string
	Type          string
	Required      bool
	Unique        bool
	Rules         json.RawMessage
	Shown         bool // on portals
	Editable      bool // by the user on the portal
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// CAS ticket kinds.
const (
	TicketService       = "ST"
	TicketProxy         = "PT"
	TicketProxyGranting = "PGT"
)

// CASTicket is a CAS service, proxy or proxy-granting ticket, stored by
// hash. A proxy ticket's Proxies lists the proxy callback URLs it went
// through, nearest first (CAS 2.0 section 2.6.2).
type CASTicket struct {
	TenantID      string
	Hash          []byte
	Kind          string
	ApplicationID string
	Service       string // the service (ST, PT) or the proxy callback (PGT)
	UserID        string
	SID           string
	AuthTime      time.Time
	NewLogin      bool
	Proxies       []string
	PGTHash       []byte // the proxy-granting ticket a PT came from
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time
}

// CASLogin records that an SSO session signed in to a CAS application
// taking back-channel logout: the service ticket it validated, sealed
// (the application keys its own session by the ticket, which its logout
// request names as SessionIndex), and the service the ticket was for.
type CASLogin struct {
	TenantID      string
	TicketHash    []byte
	SID           string
	ApplicationID string
	Service       string
	SealedTicket  []byte
	CreatedAt     time.Time
	ExpiresAt     time.Time // when the session would have ended at the latest
}

// OIDCLogin records that an SSO session signed in to an OpenID Connect
// application taking back-channel logout: the subject its ID tokens named.
type OIDCLogin struct {
	TenantID      string
	SID           string
	ApplicationID string
	Subject       string
	CreatedAt     time.Time
	ExpiresAt     time.Time // when the session would have ended at the latest
}

// SAMLArtifact is a SAML protocol message waiting for its service
// provider to resolve the artifact that names it (HTTP-Artifact binding).
type SAMLArtifact struct {
	TenantID      string
	HandleHash    []byte
	ApplicationID string
	SealedMessage []byte
	ExpiresAt     time.Time
}

// SAMLSession records that an SSO session signed in to a SAML service
// provider, with the NameID and SessionIndex its assertion carried, for
// single logout. A session has one row per application, so it keeps one
// SessionIndex per service provider.
type SAMLSession struct {
	TenantID      string
	SID           string
	ApplicationID string
	UserID        string
	NameID        string
	NameIDFormat  string
	SessionIndex  string
	CreatedAt     time.Time
	ExpiresAt     time.Time // the SSO session's absolute end
}

// MFA credential types.
const (
	MFATOTP = "totp"
)

// MFACredential is a user's second factor, e.g. a TOTP authenticator. The
// secret is sealed (secret.Sealer) by the mfa service, bound to the row.
type MFACredential struct {
	TenantID string
	ID       string
	UserID   string
	Type     string // MFATOTP
	Secret   []byte // sealed
	Label    string // shown to the user and administrators ("Authenticator app")
	// Confirmed is set by the first valid code; until then the credential
	// is an enrolment in progress and never accepted at sign-in.
	Confirmed bool
	// LastUsedStep is the TOTP time step of the last accepted code: no
	// code of that step or an earlier one is accepted again.
	LastUsedStep int64
	// Attempts counts every code ever tried against the credential; a
	// pending sign-in may try a few beyond the count it started at.
	Attempts  int
	CreatedAt time.Time
}
