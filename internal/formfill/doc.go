// Package formfill signs users in to applications that only have a login
// form (OneAccess's "plug-in autocompletion", without a browser plug-in):
// a signed-in user launches the application at Gatehouse, which answers
// with the application's login form filled with the user's account there
// (its account name and sealed password) and submits it from the browser.
//
// The credentials go only to the application's registered action URL: the
// page's Content-Security-Policy limits form posts to that origin and runs
// no script but the one that submits the form (allowed by hash). The page
// is never cached. When the administrator allows it, a user without stored
// credentials enters them once, on a CSRF-protected page.
package formfill
