"""The post library (岗位库): job posts from stations and partner agencies."""
