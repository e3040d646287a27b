"""The SNP pages. This first one is public: the patient's cancellation link."""
