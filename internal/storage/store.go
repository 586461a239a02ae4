package storage

import (
	"context"
	"time"
)

// Store is a Gatehouse backend. Its repositories run each call on their
// own; InTx runs several calls in one transaction.
type Store interface {
	Repos

	// InTx runs fn in one transaction: every repository reached through tx
	// sees and writes the same snapshot, and all of it commits or none.
	// Returning an error from fn rolls back and returns that error.
	InTx(ctx context.Context, fn func(tx Repos) error) error

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Dialect is "sqlite" or "postgres".
	Dialect() string
	Close() error
}

// Repos gives the per-aggregate repositories, either standalone (from the
// Store) or bound to a transaction (inside InTx).
type Repos interface {
	Tenants() TenantRepo
	Users() UserRepo
	Orgs() OrgRepo
	APIClients() APIClientRepo
	MgmtTokens() MgmtTokenRepo
	Audit() AuditRepo
	SigningKeys() SigningKeyRepo
	Settings() SettingsRepo
	Apps() AppRepo
	Sessions() SessionRepo
	Codes() CodeRepo
	RefreshTokens() RefreshRepo
	Consents() ConsentRepo
	Revocations() RevocationRepo
	AppAccounts() AppAccountRepo
	AppRoles() AppRoleRepo
	AppOrgs() AppOrgRepo
	Attributes() AttributeRepo
	CASTickets() CASTicketRepo
	CASLogins() CASLoginRepo
	OIDCLogins() OIDCLoginRepo
	SAMLArtifacts() SAMLArtifactRepo
	SAMLSessions() SAMLSessionRepo
	MFACredentials() MFACredentialRepo
}

// TenantRepo stores tenants. Deleting a tenant deletes every row it owns.
type TenantRepo interface {
	Create(ctx context.Context, t *Tenant) error
	Get(ctx context.Context, id string) (*Tenant, error)
	List(ctx context.Context) ([]Tenant, error)
	Delete(ctx context.Context, id string) error
}

// UserRepo stores users and their organisation memberships.
type UserRepo interface {
	Create(ctx context.Context, u *User) error
	Get(ctx context.Context, tenantID, id string) (*User, error)
	// GetWithoutOrgs is Get without the organisation memberships (Orgs
	// is nil; HomeOrgID is set): one query instead of two, for the token
	// paths. A caller that hands the user to apps.CheckAccess must use Get
	// when apps.NeedsOrgs says the application's policy reads them.
	GetWithoutOrgs(ctx context.Context, tenantID, id string) (*User, error)
	// GetByUserNameKey finds a user by normalised user name.
	GetByUserNameKey(ctx context.Context, tenantID, key string) (*User, error)
	// GetByLogin finds a user by one of the unique sign-in identifiers:
	// LoginUserName, LoginEmail or LoginMobile, given in normalised form.
	GetByLogin(ctx context.Context, tenantID string, kind LoginKind, key string) (*User, error)
	// Update reads the user, applies fn and writes the result in one
	// transaction; the row is locked against concurrent updates meanwhile.
	// fn returning an error leaves the row as it was.
	Update(ctx context.Context, tenantID, id string, fn func(u *User) error) (*User, error)
	Delete(ctx context.Context, tenantID, id string) error
	// List returns one page of users in creation order and the total count
	// of users matching the filter.
	List(ctx context.Context, tenantID string, f UserFilter) ([]User, int, error)
}

// OrgRepo stores organisations.
type OrgRepo interface {
	Create(ctx context.Context, o *Organization) error
	Get(ctx context.Context, tenantID, id string) (*Organization, error)
	GetByCode(ctx context.Context, tenantID, code string) (*Organization, error)
	// FirstRoot is the root organisation created first, the home of users
	// created without an organisation.
	FirstRoot(ctx context.Context, tenantID string) (*Organization, error)
	// Update reads, applies fn and writes in one transaction.
	Update(ctx context.Context, tenantID, id string, fn func(o *Organization) error) (*Organization, error)
	// TreeIDs lists organisation ids breadth-first (by depth, then
	// sequence, then code): the tree under rootID (itself included), or
	// every root's when rootID is "". maxDepth > 0 limits the levels (1: the
	// start level only).
	TreeIDs(ctx context.Context, tenantID, rootID string, maxDepth int) ([]string, error)
	// TreeVersion changes whenever an organisation of the tenant is
	// created, changed or deleted (in the same transaction).
	TreeVersion(ctx context.Context, tenantID string) (int64, error)
	// GetMany returns the organisations with these ids, in their order
	// (ids it does not find are left out).
	GetMany(ctx context.Context, tenantID string, ids []string) ([]Organization, error)
	// Subtree returns the ids of id and all its descendants.
	Subtree(ctx context.Context, tenantID, id string) ([]string, error)
	// AnyWithin reports whether one of orgIDs is one of roots or below one
	// of them (one query walking up from orgIDs).
	AnyWithin(ctx context.Context, tenantID string, orgIDs, roots []string) (bool, error)
	// HasChildren and HasMembers tell whether an organisation is empty.
	HasChildren(ctx context.Context, tenantID, id string) (bool, error)
	HasMembers(ctx context.Context, tenantID string, ids []string) (bool, error)
	// Delete removes organisations and every membership in them; users
	// whose home organisation goes have none afterwards.
	Delete(ctx context.Context, tenantID string, ids []string) error
}

// APIClientRepo stores management-API clients.
type APIClientRepo interface {
	Create(ctx context.Context, c *APIClient) error
	Get(ctx context.Context, tenantID, clientID string) (*APIClient, error)
	// Update reads, applies fn and writes in one transaction.
	Update(ctx context.Context, tenantID, clientID string, fn func(c *APIClient) error) (*APIClient, error)
	Delete(ctx context.Context, tenantID, clientID string) error
}

// MgmtTokenRepo stores issued management-API tokens.
type MgmtTokenRepo interface {
	Create(ctx context.Context, t *MgmtToken) error
	// GetByHash finds an unexpired-or-not token by its hash.
	GetByHash(ctx context.Context, tenantID string, hash []byte) (*MgmtToken, error)
	// Latest returns the client's token that expires last, if it expires
	// after notBefore.
	Latest(ctx context.Context, tenantID, clientID string, notBefore time.Time) (*MgmtToken, error)
	// DeleteExpired removes the client's tokens that expired before now.
	DeleteExpired(ctx context.Context, tenantID, clientID string, now time.Time) error
}

// AuditRepo appends and reads audit events. Events are never updated.
type AuditRepo interface {
	Append(ctx context.Context, e *AuditEvent) error
	List(ctx context.Context, tenantID string, f AuditFilter) ([]AuditEvent, error)
}

// SigningKeyRepo stores token-signing keys.
type SigningKeyRepo interface {
	Create(ctx context.Context, k *SigningKey) error
	// Retire sets the expiry of the tenant's current (unexpiring) keys of
	// one algorithm.
	Retire(ctx context.Context, tenantID, alg string, expiresAt time.Time) error
	// List returns the tenant's keys, newest first.
	List(ctx context.Context, tenantID string) ([]SigningKey, error)
}

// SettingsRepo stores instance-wide values such as the secret-key check.
type SettingsRepo interface {
	Get(ctx context.Context, name string) (string, error)
	// PutIfAbsent stores value under name unless a value is already there,
	// and returns the stored value either way.
	PutIfAbsent(ctx context.Context, name, value string) (string, error)
}

// AppRepo stores applications. Deleting an application deletes its client
// (and so the client's management tokens).
type AppRepo interface {
	Create(ctx context.Context, a *Application) error
	Get(ctx context.Context, tenantID, id string) (*Application, error)
	// GetByClientID finds the application whose OAuth client is clientID.
	GetByClientID(ctx context.Context, tenantID, clientID string) (*Application, error)
	// Update reads, applies fn and writes in one transaction, as
	// UserRepo.Update does.
	Update(ctx context.Context, tenantID, id string, fn func(a *Application) error) (*Application, error)
	Delete(ctx context.Context, tenantID, id string) error
	// List returns a page in creation order and the tenant's total.
	List(ctx context.Context, tenantID string, offset, limit int) ([]Application, int, error)
	// SetAPIScopes replaces the API scopes an application defines; a
	// scope another application defines is a *ConflictError with Field
	// "api_scopes:<scope>".
	SetAPIScopes(ctx context.Context, tenantID, appID string, scopes []string) error
	// APIScopeOwners maps each scope that some application defines to
	// that application's client id.
	APIScopeOwners(ctx context.Context, tenantID string, scopes []string) (map[string]string, error)
	// SetSAMLEntityID records the SAML service-provider entity id of an
	// application ("" removes it); an id another application of the tenant
	// has is a *ConflictError with Field "saml.entity_id".
	SetSAMLEntityID(ctx context.Context, tenantID, appID, entityID string) error
	// GetBySAMLEntityID finds the application with that entity id.
	GetBySAMLEntityID(ctx context.Context, tenantID, entityID string) (*Application, error)
}

// SessionRepo stores SSO sessions.
type SessionRepo interface {
	Create(ctx context.Context, s *Session) error
	GetByHash(ctx context.Context, tenantID string, hash []byte) (*Session, error)
	// GetWithUser is GetByHash that also returns the session's user as
	// UserRepo.GetWithoutOrgs reads it (UserRepo.Get with orgs), nil when
	// the user no longer exists, in one query (two with orgs).
	GetWithUser(ctx context.Context, tenantID string, hash []byte, orgs bool) (*Session, *User, error)
	Touch(ctx context.Context, tenantID string, hash []byte, lastSeen time.Time) error
	// StepUp records a further authentication of the session behind hash
	// (a second factor): its methods, level and time, and a new cookie
	// hash (the old cookie stops working); the SID stays, so logout and
	// the session's applications are unchanged.
	StepUp(ctx context.Context, tenantID string, hash, newHash []byte, authTime time.Time, amr []string, acr string) error
	Delete(ctx context.Context, tenantID string, hash []byte) error
	DeleteBySID(ctx context.Context, tenantID, sid string) error
	// DeleteForUser ends every session of a user and returns their sids,
	// oldest first.
	DeleteForUser(ctx context.Context, tenantID, userID string) ([]string, error)
	// ListForUser returns a user's stored sessions, oldest first (ended
	// ones included until they are removed: the caller filters).
	ListForUser(ctx context.Context, tenantID, userID string) ([]Session, error)
}

// CodeRepo stores authorization codes.
type CodeRepo interface {
	Create(ctx context.Context, c *AuthCode) error
	// Consume marks the client's code used and returns it as it was:
	// UsedAt is zero for the first exchange and set for a replay.
	// ErrNotFound for a code that never existed, was cleaned up, or is
	// another client's (which stays untouched).
	Consume(ctx context.Context, tenantID string, hash []byte, clientID string, now time.Time) (*AuthCode, error)
	// ConsumeWithUser is Consume that, when this call consumed the code
	// (UsedAt zero), also returns its user as UserRepo.GetWithoutOrgs
	// would (nil when the user no longer exists), in one round trip where
	// the database allows it. For a replay the user is nil.
	ConsumeWithUser(ctx context.Context, tenantID string, hash []byte, clientID string, now time.Time) (*AuthCode, *User, error)
	// DeleteExpired removes codes that expired before t, in every tenant.
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// RefreshRepo stores refresh tokens.
type RefreshRepo interface {
	Create(ctx context.Context, t *RefreshToken) error
	// Get returns a token without spending it (introspection, revocation).
	Get(ctx context.Context, tenantID string, hash []byte) (*RefreshToken, error)
	// Consume marks the client's token used and returns it as it was
	// (UsedAt set on reuse), like CodeRepo.Consume.
	Consume(ctx context.Context, tenantID string, hash []byte, clientID string, now time.Time) (*RefreshToken, error)
	// DeleteGrant removes a whole family.
	DeleteGrant(ctx context.Context, tenantID, grantID string) error
	DeleteForUser(ctx context.Context, tenantID, userID string) error
	DeleteForClient(ctx context.Context, tenantID, clientID string) error
}

// ConsentRepo stores consents.
type ConsentRepo interface {
	Get(ctx context.Context, tenantID, userID, clientID string) (*Consent, error)
	// Put creates or replaces the consent.
	Put(ctx context.Context, c *Consent) error
}

// RevocationRepo records revoked grants and tokens by id.
type RevocationRepo interface {
	// Revoke records id as revoked until expiresAt; revoking twice is fine.
	Revoke(ctx context.Context, tenantID, id string, expiresAt time.Time) error
	// Claim records id until expiresAt and reports whether this call was
	// the first to do so (single-use values such as assertion jtis).
	Claim(ctx context.Context, tenantID, id string, expiresAt time.Time) (bool, error)
	// AnyRevoked reports whether any of ids is revoked.
	AnyRevoked(ctx context.Context, tenantID string, ids ...string) (bool, error)
}

// AppAccountRepo stores application accounts. Every call names the
// application: an account of another application is not found.
type AppAccountRepo interface {
	Create(ctx context.Context, a *AppAccount) error
	Get(ctx context.Context, tenantID, appID, id string) (*AppAccount, error)
	GetByUser(ctx context.Context, tenantID, appID, userID string) (*AppAccount, error)
	Update(ctx context.Context, tenantID, appID, id string, fn func(a *AppAccount) error) (*AppAccount, error)
	Delete(ctx context.Context, tenantID, appID, id string) error
	// List pages the application's accounts (of one type, when given).
	List(ctx context.Context, tenantID, appID, accountType string, offset, limit int) ([]AppAccount, int, error)
	// ListForUser returns every account of a user, in every application.
	ListForUser(ctx context.Context, tenantID, userID string) ([]AppAccount, error)
	// GetByUserWithRoles returns the user's account in the application and
	// the codes of its roles, in one query (the sign-in path).
	GetByUserWithRoles(ctx context.Context, tenantID, appID, userID string) (*AppAccount, []string, error)
}

// AppRoleRepo stores application roles and their members (accounts).
type AppRoleRepo interface {
	Create(ctx context.Context, r *AppRole) error
	Get(ctx context.Context, tenantID, appID, id string) (*AppRole, error)
	Update(ctx context.Context, tenantID, appID, id string, fn func(r *AppRole) error) (*AppRole, error)
	Delete(ctx context.Context, tenantID, appID, id string) error
	List(ctx context.Context, tenantID, appID string, offset, limit int) ([]AppRole, int, error)
	// AddMember adds an account of the role's application; ErrNotFound when
	// the account is not one of the application's, or is already a member
	// (nothing was added; the transaction stays usable).
	AddMember(ctx context.Context, tenantID, roleID, accountID string) error
	// RemoveMember: ErrNotFound when it was not a member.
	RemoveMember(ctx context.Context, tenantID, roleID, accountID string) error
	Members(ctx context.Context, tenantID, roleID string, offset, limit int) ([]AppAccount, int, error)
	// RolesOf returns the roles of accounts, by account id.
	RolesOf(ctx context.Context, tenantID string, accountIDs []string) (map[string][]AppRole, error)
	// AddOrg gives the role to an organisation of its application (and so
	// to the accounts in it and below it); ErrNotFound when the
	// organisation is not one of the application's, or already has it.
	AddOrg(ctx context.Context, tenantID, roleID, appOrgID string) error
	// RemoveOrg: ErrNotFound when the organisation did not have the role.
	RemoveOrg(ctx context.Context, tenantID, roleID, appOrgID string) error
	// Orgs pages the organisations that have the role.
	Orgs(ctx context.Context, tenantID, roleID string, offset, limit int) ([]AppOrg, int, error)
	// RolesOfOrg returns the codes of the roles an account of appOrgID has
	// through it or the organisations above it, sorted (one query).
	RolesOfOrg(ctx context.Context, tenantID, appOrgID string) ([]string, error)
}

// AppOrgRepo stores applications' organisation trees.
type AppOrgRepo interface {
	Create(ctx context.Context, o *AppOrg) error
	Get(ctx context.Context, tenantID, appID, id string) (*AppOrg, error)
	GetByCode(ctx context.Context, tenantID, appID, code string) (*AppOrg, error)
	// ForOrg returns the application organisation mapped to orgID or to
	// the nearest Gatehouse organisation above it; ErrNotFound when none.
	ForOrg(ctx context.Context, tenantID, appID, orgID string) (*AppOrg, error)
	Update(ctx context.Context, tenantID, appID, id string, fn func(o *AppOrg) error) (*AppOrg, error)
	Delete(ctx context.Context, tenantID, appID, id string) error
	HasChildren(ctx context.Context, tenantID, appID, id string) (bool, error)
	List(ctx context.Context, tenantID, appID string, offset, limit int) ([]AppOrg, int, error)
}

// AttributeRepo stores custom attribute definitions and the index of their
// unique values.
type AttributeRepo interface {
	Create(ctx context.Context, d *AttributeDef) error
	Get(ctx context.Context, tenantID, id string) (*AttributeDef, error)
	// List returns the definitions of an entity type (and application),
	// by name.
	List(ctx context.Context, tenantID, entity, appID string) ([]AttributeDef, error)
	Update(ctx context.Context, tenantID, id string, fn func(d *AttributeDef) error) (*AttributeDef, error)
	Delete(ctx context.Context, tenantID, id string) error
	// SetUniqueValues records the values an entity holds for unique
	// attributes (def id -> normalised value), replacing what it held for
	// those definitions. A value another entity holds is a *ConflictError
	// whose Field is the definition's id.
	SetUniqueValues(ctx context.Context, tenantID, entityID string, defIDs []string, values map[string]string) error
	// ClearUniqueValues forgets every unique value of an entity.
	ClearUniqueValues(ctx context.Context, tenantID, entityID string) error
}

// CASTicketRepo stores CAS tickets.
type CASTicketRepo interface {
	Create(ctx context.Context, t *CASTicket) error
	// Consume marks a service or proxy ticket used and returns it as it
	// was (UsedAt set when it had been used already), like CodeRepo.Consume.
	Consume(ctx context.Context, tenantID string, hash []byte, now time.Time) (*CASTicket, error)
	// ConsumeWithUser is Consume that, when this call consumed the ticket
	// (UsedAt zero), also returns its user as UserRepo.GetWithoutOrgs
	// reads it (UserRepo.Get with orgs), nil when the user no longer
	// exists, in one round trip where the database allows it. For a
	// ticket used already, or a proxy-granting one, the user is nil.
	ConsumeWithUser(ctx context.Context, tenantID string, hash []byte, now time.Time, orgs bool) (*CASTicket, *User, error)
	// CreateForSession reads the SSO session whose id hashes to
	// sessionHash with its user, as SessionRepo.GetWithUser does, and
	// stores t as a ticket of that session, in one round trip where the
	// database allows it. t's UserID, SID and AuthTime become the
	// session's, and NewLogin whether that auth time is at or after
	// newSince. t is stored only when the session exists and has not
	// expired by t.CreatedAt and its user exists and is enabled: stored
	// says whether it was. The session's idle limit and the application's
	// policy are the caller's to check; a caller that then does not hand
	// the ticket out deletes it (Delete).
	CreateForSession(ctx context.Context, sessionHash []byte, t *CASTicket, newSince time.Time, orgs bool) (sess *Session, u *User, stored bool, err error)
	// Get returns a ticket without using it (proxy-granting tickets).
	Get(ctx context.Context, tenantID string, hash []byte) (*CASTicket, error)
	// Delete removes one ticket (one stored but not handed out).
	Delete(ctx context.Context, tenantID string, hash []byte) error
	// DeleteForSession removes the tickets of an SSO session (logout).
	DeleteForSession(ctx context.Context, tenantID, sid string) error
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// CASLoginRepo records the CAS applications each SSO session signed in to
// that take back-channel logout.
type CASLoginRepo interface {
	// Create records l; a login of the same ticket is left as it is.
	Create(ctx context.Context, l *CASLogin) error
	// TakeForSession removes a session's logins and returns them, oldest
	// first: of two concurrent calls, each login goes to one.
	TakeForSession(ctx context.Context, tenantID, sid string) ([]CASLogin, error)
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// OIDCLoginRepo records the OpenID Connect applications each SSO session
// signed in to that take back-channel logout.
type OIDCLoginRepo interface {
	// Create records l; the session's row for the application, if any, is
	// left as it is.
	Create(ctx context.Context, l *OIDCLogin) error
	// TakeForSession removes a session's logins and returns them, oldest
	// first: of two concurrent calls, each login goes to one.
	TakeForSession(ctx context.Context, tenantID, sid string) ([]OIDCLogin, error)
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// SAMLArtifactRepo keeps the messages of the HTTP-Artifact binding.
type SAMLArtifactRepo interface {
	Create(ctx context.Context, a *SAMLArtifact) error
	// Take removes the tenant's artifact message and returns it (once:
	// of two concurrent calls one gets ErrNotFound), expired or not.
	Take(ctx context.Context, tenantID string, handleHash []byte) (*SAMLArtifact, error)
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// SAMLSessionRepo records which SAML service providers each SSO session
// signed in to.
type SAMLSessionRepo interface {
	// Put records s unless its session already has a row for the
	// application, and returns the stored row either way.
	Put(ctx context.Context, s *SAMLSession) (*SAMLSession, error)
	// ListForSession returns a session's rows, oldest first.
	ListForSession(ctx context.Context, tenantID, sid string) ([]SAMLSession, error)
	// GetBySessionIndex finds an application's row with that SessionIndex.
	GetBySessionIndex(ctx context.Context, tenantID, appID, sessionIndex string) (*SAMLSession, error)
	// ListByNameID returns an application's rows for a NameID.
	ListByNameID(ctx context.Context, tenantID, appID, nameID string) ([]SAMLSession, error)
	// DeleteForSession removes a session's rows (logout).
	DeleteForSession(ctx context.Context, tenantID, sid string) error
	// DeleteExpired removes rows of sessions that ended before t, in every tenant.
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// MFACredentialRepo stores users' second factors. Deleting a user deletes
// its credentials.
type MFACredentialRepo interface {
	Create(ctx context.Context, c *MFACredential) error
	Get(ctx context.Context, tenantID, id string) (*MFACredential, error)
	// ListForUser returns a user's credentials, oldest first.
	ListForUser(ctx context.Context, tenantID, userID string) ([]MFACredential, error)
	// UseStep records step as the last used one (and confirms the
	// credential) only if it is later than the stored one, atomically:
	// false means the step was spent already (a replay), or a concurrent
	// request spent it first.
	UseStep(ctx context.Context, tenantID, id string, step int64) (bool, error)
	// AddAttempt counts one code tried and returns the new count.
	AddAttempt(ctx context.Context, tenantID, id string) (int, error)
	Delete(ctx context.Context, tenantID, id string) error
	// DeleteUnconfirmed removes a user's enrolments in progress.
	DeleteUnconfirmed(ctx context.Context, tenantID, userID string) error
}
