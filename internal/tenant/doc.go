// Package tenant resolves which tenant (OneAccess "instance") a request
// belongs to and manages the tenants themselves.
//
// A request names its tenant by the X-tenant-id header (OneAccess's ISV
// variant) or by its Host; a Host that matches no tenant's domain belongs
// to the default tenant, created on first start.
package tenant
