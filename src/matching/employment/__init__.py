"""Jobs held (就业记录) and the "311" services given (服务记录)."""
