"""LibreOffice kept alive for PDFs: the office process (libreoffice), the bridge it is driven
through (uno_bridge, run by the system's Python), and the conversion (pdf)."""
