"""Pattern files for production: a flattened pair written as the files pattern makers and cutters use."""
