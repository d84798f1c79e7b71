"""The JSON:API Atomic Operations extension (https://jsonapi.org/ext/atomic) at `/api/operations`.

`parsing` reads the request document into operations, `lids` replaces local ids with the ids the
earlier operations created, `dispatch` runs each operation through the resource's own endpoint
(found by the URL names `api.routing` gives every resource), and `views` answers the request,
all of it in one transaction.
"""
