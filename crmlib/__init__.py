"""crmlib: the shared library behind the CRM analysis workbench notebooks."""

__version__ = "0.1.0"
