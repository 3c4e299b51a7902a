"""A build tool, neither a service nor a library: it writes the event contract (the AsyncAPI document of every
FastStream app and one JSON Schema per event) from the services' own handler declarations, so it is the one
package that imports every service. No service or library imports it; the API serves the file it writes."""
