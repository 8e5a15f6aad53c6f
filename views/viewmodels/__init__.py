"""What the app's pages show, computed without Streamlit: filters, tables, the Workshop's
scenario and routes in words, the Compare page's rows, the Export page's downloads, editing
(identity, powers, the form), and the shared database's sites, roles and pooled stores. Tested
directly; the pages in `views/` only lay them out."""
