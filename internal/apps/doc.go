// Package apps owns applications and the credentials that call Gatehouse's
// management API: API clients (client id + generated secret, stored as
// SHA-256) and the access tokens they obtain (ONEACCESS-API.md section 1).
package apps
